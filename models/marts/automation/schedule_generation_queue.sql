{#-
  The queue the schedule builder polls (page_name, execution_date where status = 'PENDING').
  One row per (page_name, execution_date): re-running a date inserts only pages not yet
  queued for it and never touches an existing row, whatever status the builder gave it.
  Skipped by `dbt build` when the circuit breaker test on creator_processing_errors fails.
-#}
{{
    config(
        materialized='incremental',
        full_refresh=false,
        incremental_strategy='merge',
        unique_key=['page_name', 'execution_date'],
        on_schema_change='append_new_columns',
        partition_by=eros_ops_partition_by('schedule_generation_queue'),
        cluster_by=eros_ops_cluster_by('schedule_generation_queue'),
        contract={'enforced': true},
    )
}}

with

analysis as (

    select * from {{ ref('page_daily_analysis') }}
    where execution_date = {{ eros_execution_date_sql() }}

),

run_errors as (

    select page_name from {{ ref('creator_processing_errors') }}
    where job_id = '{{ invocation_id }}'

),

{% if is_incremental() %}
    already_queued as (

        select page_name from {{ this }}
        where execution_date = {{ eros_execution_date_sql() }}

    ),
{% endif %}

candidates as (

    select
        analysis.page_name,
        analysis.execution_date,
        analysis.saturation_pct
    from analysis
    left join run_errors
        on analysis.page_name = run_errors.page_name
    {% if is_incremental() %}
        left join already_queued
            on analysis.page_name = already_queued.page_name
    {% endif %}
    where
        analysis.needs_schedule
        and run_errors.page_name is null
    {% if is_incremental() %}
        and already_queued.page_name is null
    {% endif %}

),

final as (

    select
        cast(page_name as {{ dbt.type_string() }}) as page_name,
        execution_date,
        cast(round(saturation_pct, 2) as {{ eros_type_float() }}) as saturation_pct,
        {{ eros_timestamp_literal(eros_run_started()) }} as queued_at,
        cast(null as {{ dbt.type_timestamp() }}) as processed_at,
        cast('PENDING' as {{ dbt.type_string() }}) as status,
        cast(null as {{ dbt.type_string() }}) as schedule_id,
        cast(null as {{ dbt.type_string() }}) as error_message,
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as queued_by_job_id
    from candidates

)

select * from final
