{#-
  One row per job run (daily_automation, caption_performance, lock_sweep, ...).
  This model only defines the table: rows are written by the on-run-start / on-run-end
  hooks of `dbt build --selector <job>` (macros/automation/job_runs.sql) and by the
  lock-sweep run-operation, so dbt Cloud jobs record themselves exactly like `eros run`.
-#}
{{
    config(
        materialized='incremental',
        full_refresh=false,
        incremental_strategy='merge',
        unique_key='job_id',
        on_schema_change='append_new_columns',
        partition_by=eros_partition_by('job_start_time', 'timestamp'),
        cluster_by=eros_cluster_by(['job_name', 'job_status']),
        contract={'enforced': true},
    )
}}

with

final as (

    select
        cast(null as {{ dbt.type_string() }}) as job_id,
        cast(null as {{ dbt.type_string() }}) as job_name,
        cast(null as {{ dbt.type_timestamp() }}) as job_start_time,
        cast(null as {{ dbt.type_timestamp() }}) as job_end_time,
        cast(null as {{ dbt.type_string() }}) as job_status,
        cast(null as date) as execution_date,
        cast(null as {{ dbt.type_bigint() }}) as creators_processed,
        cast(null as {{ dbt.type_bigint() }}) as creators_failed,
        cast(null as {{ dbt.type_string() }}) as error_message,
        cast(null as {{ eros_type_float() }}) as job_duration_seconds

)

select * from final
where 1 = 0
