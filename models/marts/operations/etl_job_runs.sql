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
        partition_by=eros_ops_partition_by('etl_job_runs'),
        cluster_by=eros_ops_cluster_by('etl_job_runs'),
        contract={'enforced': true},
    )
}}

with

final as (

    select
        {{ eros_ops_shell('etl_job_runs') }}

)

select * from final
where 1 = 0
