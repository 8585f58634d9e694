{#-
  Health check 9: stale pages: the page's newest caption_bandit_stats.last_updated is
  older than 12 h (the FAIL level of caption_performance_recency: rule caption_feedback_stale_critical), with days since the page
  last used a caption (last_used, its newest send).
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
        max(last_used) as last_used
    from stats
    group by page_name

),

final as (

    select
        page_name,
        last_updated,
        round({{ eros_hours_between('last_updated', now) }}, 1) as hours_since_update,
        last_used,
        round({{ eros_hours_between('last_used', now) }} / 24.0, 1) as days_since_last_use
    from per_page
    where last_updated < {{ eros_timestamp_add_hours(now, -1 * (eros_health_level('caption_performance_recency', 'fail') | int)) }}

)

select * from final
order by days_since_last_use desc, page_name
