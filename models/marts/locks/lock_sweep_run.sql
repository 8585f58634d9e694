{#-
  The lock sweep as a build node (DOMAIN.md "Lock sweep"): building this model sweeps the
  locks (materialization eros_lock_sweep, macros/locks/lock_sweep_materialization.sql, the
  same macro as `dbt run-operation sweep_locks`). Selected by the lock_sweep selector (the
  hourly job) and by the daily selector (the daily job ends its day with a sweep). The
  table holds the sweep of the latest build: its lock_sweep_log row, its job row's status
  and the number of alerts it raised.
-#}
{{
    config(
        materialized='eros_lock_sweep',
    )
}}

with

sweep_log as (

    select * from {{ ref('lock_sweep_log') }}
    where sweep_id = '{{ eros_lock_sweep_job_ids().sweep_id }}'

),

job_runs as (

    select
        job_id,
        job_status
    from {{ ref('etl_job_runs') }}
    where job_id = '{{ eros_lock_sweep_job_ids().sweep_id }}'

),

alerts as (

    select job_id from {{ ref('automation_alerts') }}
    where job_id = '{{ eros_lock_sweep_job_ids().sweep_id }}'

),

alert_counts as (

    select
        job_id,
        count(*) as alerts_raised
    from alerts
    group by job_id

),

final as (

    select
        sweep_log.sweep_id,
        sweep_log.parent_job_id,
        sweep_log.sweep_time,
        sweep_log.business_date,
        sweep_log.locks_expired_past_date,
        sweep_log.locks_expired_stale,
        sweep_log.total_locks_cleaned,
        sweep_log.active_locks_after,
        sweep_log.pages_affected,
        sweep_log.sweep_duration_seconds,
        job_runs.job_status,
        cast(coalesce(alert_counts.alerts_raised, 0) as {{ dbt.type_bigint() }}) as alerts_raised
    from sweep_log
    left join job_runs
        on sweep_log.sweep_id = job_runs.job_id
    left join alert_counts
        on sweep_log.sweep_id = alert_counts.job_id

)

select * from final
