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
        partition_by=eros_partition_by('slot_time', 'timestamp'),
        cluster_by=eros_cluster_by(['job', 'status']),
        contract={'enforced': true},
    )
}}

with

final as (

    select
        cast(null as {{ dbt.type_string() }}) as run_id,
        cast(null as {{ dbt.type_string() }}) as job,
        cast(null as {{ dbt.type_string() }}) as job_step,
        cast(null as {{ dbt.type_timestamp() }}) as slot_time,
        cast(null as {{ dbt.type_string() }}) as slot_local,
        cast(null as {{ dbt.type_bigint() }}) as attempt,
        cast(null as {{ dbt.type_string() }}) as status,
        cast(null as {{ dbt.type_string() }}) as runner_id,
        cast(null as {{ dbt.type_timestamp() }}) as started_at,
        cast(null as {{ dbt.type_timestamp() }}) as finished_at,
        cast(null as {{ dbt.type_bigint() }}) as exit_code,
        cast(null as {{ dbt.type_string() }}) as job_id,
        cast(null as {{ dbt.type_string() }}) as job_status,
        cast(null as {{ dbt.type_string() }}) as message

)

select * from final
where 1 = 0
