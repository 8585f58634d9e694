{#-
  Health check 8: duration trends over the last 30 LA days, per job and LA day: runs by
  outcome and average / longest duration (targets: daily automation 2-5 min, 10 max;
  caption performance 30-90 s, 5 min max; lock sweep 1-5 s, 30 s max).
-#}
{%- set now = eros_health_now() -%}

with

runs as (

    select * from {{ ref('etl_job_runs') }}
    where
        job_start_time >= {{ eros_timestamp_add_hours(now, -24 * 31) }}
        and job_start_time <= {{ now }}

),

dated as (

    select
        job_name,
        {{ eros_to_local_date('job_start_time') }} as run_date_la,
        job_status,
        job_duration_seconds
    from runs

),

by_day as (

    select
        job_name,
        run_date_la,
        count(*) as runs,
        sum(case when job_status = 'SUCCESS' then 1 else 0 end) as succeeded,
        sum(case when job_status in ('COMPLETED_WITH_ERRORS', 'COMPLETED_NO_WORK') then 1 else 0 end) as completed_with_issues,
        sum(case when job_status = 'FAILED' then 1 else 0 end) as failed,
        sum(case when job_status = 'RUNNING' then 1 else 0 end) as running,
        avg(job_duration_seconds) as avg_duration_seconds,
        max(job_duration_seconds) as max_duration_seconds
    from dated
    where run_date_la >= {{ eros_date_add_days(eros_to_local_date(now), -29) }}
    group by job_name, run_date_la

),

final as (

    select
        job_name,
        run_date_la,
        runs,
        succeeded,
        completed_with_issues,
        failed,
        running,
        round(avg_duration_seconds, 1) as avg_duration_seconds,
        round(max_duration_seconds, 1) as max_duration_seconds
    from by_day

)

select * from final
order by job_name, run_date_la
