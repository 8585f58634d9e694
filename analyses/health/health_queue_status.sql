{#-
  Health check 10: schedule_generation_queue for the last 3 LA days (today and the two
  before), by execution date and status, with the age in hours of the oldest row.
-#}
{%- set now = eros_health_now() -%}
{%- set today = eros_to_local_date(now) -%}

with

queue as (

    select * from {{ ref('schedule_generation_queue') }}
    where
        execution_date >= {{ eros_date_add_days(today, -2) }}
        and execution_date <= {{ today }}

),

by_status as (

    select
        execution_date,
        status,
        count(*) as queue_rows,
        min(queued_at) as oldest_queued_at
    from queue
    group by execution_date, status

),

final as (

    select
        execution_date,
        status,
        queue_rows,
        oldest_queued_at,
        round({{ eros_hours_between('oldest_queued_at', now) }}, 1) as oldest_age_hours
    from by_status

)

select * from final
order by execution_date desc, status
