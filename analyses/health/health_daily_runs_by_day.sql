{#-
  Health check 1: daily automation runs of the last 7 LA days, by LA date and status:
  runs, average and longest duration, pages processed and failed, page failure %.
  "Now" is var as_of_timestamp when set, else the warehouse clock (paste as is).
-#}
{%- set now = eros_health_now() -%}

with

runs as (

    select * from {{ ref('etl_job_runs') }}
    where
        job_name = 'daily_automation'
        and job_start_time >= {{ eros_timestamp_add_hours(now, -24 * 8) }}
        and job_start_time <= {{ now }}

),

dated as (

    select
        {{ eros_to_local_date('job_start_time') }} as run_date_la,
        job_status,
        job_duration_seconds,
        coalesce(creators_processed, 0) as pages_processed,
        coalesce(creators_failed, 0) as pages_failed
    from runs

),

by_day as (

    select
        run_date_la,
        job_status,
        count(*) as runs,
        avg(job_duration_seconds) as avg_duration_seconds,
        max(job_duration_seconds) as max_duration_seconds,
        sum(pages_processed) as pages_processed,
        sum(pages_failed) as pages_failed
    from dated
    where run_date_la >= {{ eros_date_add_days(eros_to_local_date(now), -6) }}
    group by run_date_la, job_status

),

final as (

    select
        run_date_la,
        job_status,
        runs,
        round(avg_duration_seconds, 1) as avg_duration_seconds,
        round(max_duration_seconds, 1) as max_duration_seconds,
        pages_processed,
        pages_failed,
        case
            when pages_processed + pages_failed > 0
                then round(100.0 * pages_failed / (pages_processed + pages_failed), 1)
        end as page_failure_pct
    from by_day

)

select * from final
order by run_date_la desc, job_status
