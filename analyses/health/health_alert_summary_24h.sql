{#-
  Health check 6: alerts raised in the last 24 h by level and source, with how many are
  still unacknowledged and the age of the oldest unacknowledged one.
-#}
{%- set now = eros_health_now() -%}

with

alerts as (

    select * from {{ ref('automation_alerts') }}
    where
        alert_time > {{ eros_timestamp_add_hours(now, -24) }}
        and alert_time <= {{ now }}

),

flagged as (

    select
        alert_level,
        alert_source,
        alert_time,
        coalesce(acknowledged, false) as is_acknowledged
    from alerts

),

summary as (

    select
        alert_level,
        alert_source,
        count(*) as alerts,
        sum(case when is_acknowledged then 0 else 1 end) as unacknowledged,
        max(alert_time) as newest_alert,
        min(case when not is_acknowledged then alert_time end) as oldest_unacknowledged
    from flagged
    group by alert_level, alert_source

),

final as (

    select
        alert_level,
        alert_source,
        alerts,
        unacknowledged,
        newest_alert,
        round({{ eros_hours_between('oldest_unacknowledged', now) }}, 1) as oldest_unacknowledged_age_hours
    from summary

)

select * from final
order by
    case alert_level when 'CRITICAL' then 1 when 'WARNING' then 2 else 3 end,
    alert_source
