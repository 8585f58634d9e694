{#-
  Health check 2: caption performance feedback freshness per page: the newest
  caption_bandit_stats.last_updated of the page and its age. STALE above 12 h, WARNING
  above 8 h, else FRESH (the levels of the measure caption_performance_recency: alert rules
  caption_feedback_stale_critical / _warning in seeds/alert_rules.csv).
-#}
{%- set now = eros_health_now() -%}

with

stats as (

    select * from {{ ref('caption_bandit_stats') }}

),

per_page as (

    select
        page_name,
        max(last_updated) as last_updated,
        max(last_used) as last_used,
        count(*) as captions
    from stats
    group by page_name

),

aged as (

    select
        page_name,
        last_updated,
        last_used,
        captions,
        {{ eros_hours_between('last_updated', now) }} as hours_since_update
    from per_page

),

final as (

    select
        page_name,
        last_updated,
        round(hours_since_update, 1) as hours_since_update,
        case
            when hours_since_update > {{ eros_health_level('caption_performance_recency', 'fail') }} then 'STALE'
            when hours_since_update > {{ eros_health_level('caption_performance_recency', 'warn') }} then 'WARNING'
            else 'FRESH'
        end as freshness_status,
        last_used,
        captions
    from aged

)

select * from final
order by hours_since_update desc, page_name
