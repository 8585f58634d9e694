{#-
  Open alerts (for the report and a dashboard): unacknowledged alerts of the last 7 days
  still OPEN (not resolved, not superseded by a later reading), CRITICAL first, newest
  first, with their age in hours.
-#}
{%- set now = eros_health_now() -%}

with

alerts as (

    select * from {{ ref('automation_alerts') }}
    where
        alert_time > {{ eros_timestamp_add_hours(now, -24 * 7) }}
        and alert_time <= {{ now }}
        and not coalesce(acknowledged, false)
        and coalesce(status, 'OPEN') = 'OPEN'

),

final as (

    select
        alert_time,
        alert_level,
        alert_source,
        alert_message,
        job_id,
        round({{ eros_hours_between('alert_time', now) }}, 1) as age_hours
    from alerts

)

select * from final
order by
    case alert_level when 'CRITICAL' then 1 when 'WARNING' then 2 else 3 end,
    alert_time desc
