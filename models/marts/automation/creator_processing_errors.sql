{#-
  Pages of a daily run whose inputs failed validation (invalid settings, too many
  quarantined rows, locks on captions missing from the bank). They are not queued; the
  other pages go on. The circuit breaker test (tests/data/assert_circuit_breaker_not_tripped.sql)
  counts this run's rows and stops the queue when there are too many.
-#}
{{
    config(
        materialized='incremental',
        full_refresh=false,
        incremental_strategy='merge',
        unique_key=['job_id', 'page_name'],
        on_schema_change='append_new_columns',
        partition_by=eros_ops_partition_by('creator_processing_errors'),
        cluster_by=eros_ops_cluster_by('creator_processing_errors'),
        contract={'enforced': true},
    )
}}

with

analysis as (

    select * from {{ ref('page_daily_analysis') }}
    where execution_date = {{ eros_execution_date_sql() }}

),

final as (

    select
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as job_id,
        page_name,
        execution_date,
        validation_error as error_message,
        {{ eros_timestamp_literal(eros_run_started()) }} as error_time
    from analysis
    where
        is_active
        and validation_error is not null

)

select * from final
