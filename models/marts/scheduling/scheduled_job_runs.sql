{#-
  One row per attempt of a scheduled job slot, written by `eros schedule run-due`
  (eros/scheduling/runner.py) through run-operations (macros/scheduling/schedule_runs.sql),
  so the record works the same on DuckDB and BigQuery and every runner sees it.
  This model only defines the table. Key: run_id = '<job>@<slot UTC>#<attempt>'; the claim
  of an attempt is a MERGE on it, so one (job, slot, attempt) is started by one runner.
  full_refresh is off: `dbt build --full-refresh` (eros deploy --force) keeps the history
  that stops run-due from running a slot twice.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='run_id',
        on_schema_change='append_new_columns',
        full_refresh=false,
        partition_by=eros_ops_partition_by('scheduled_job_runs'),
        cluster_by=eros_ops_cluster_by('scheduled_job_runs'),
        contract={'enforced': true},
    )
}}

with

final as (

    select
        {{ eros_ops_shell('scheduled_job_runs') }}

)

select * from final
where 1 = 0
