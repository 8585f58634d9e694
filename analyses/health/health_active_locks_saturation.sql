{#-
  Health check 4: active locks per page and saturation. saturation_pct = 100 * active
  locks with scheduled_send_date in [today LA, today + 7) / (daily send cap * 7), the cap
  from the page's newest daily analysis (page_daily_analysis). CRITICAL above 80%,
  WARNING above 60% (vars health_saturation_critical_pct / _warning_pct), else OK;
  NO_CAP when the page has no daily analysis yet.
-#}
{%- set now = eros_health_now() -%}
{%- set today = eros_to_local_date(now) -%}
{%- set horizon = var('saturation_horizon_days') | int -%}

with

locks as (

    select * from {{ source('scheduler', 'active_caption_assignments') }}
    where is_active

),

analysis as (

    select * from {{ ref('page_daily_analysis') }}
    where
        execution_date <= {{ today }}
        and execution_date >= {{ eros_date_add_days(today, -35) }}

),

latest_analysis as (

    select
        page_name,
        daily_send_cap,
        page_tier,
        row_number() over (partition by page_name order by execution_date desc) as recency_rank
    from analysis

),

caps as (

    select
        page_name,
        daily_send_cap,
        page_tier
    from latest_analysis
    where recency_rank = 1

),

lock_counts as (

    select
        page_name,
        count(*) as active_locks,
        sum(
            case
                when scheduled_send_date >= {{ today }}
                    and scheduled_send_date < {{ eros_date_add_days(today, horizon) }}
                    then 1
                else 0
            end
        ) as upcoming_locks
    from locks
    group by page_name

),

pages as (

    select page_name from lock_counts
    union distinct
    select page_name from caps

),

joined as (

    select
        pages.page_name,
        coalesce(lock_counts.active_locks, 0) as active_locks,
        coalesce(lock_counts.upcoming_locks, 0) as upcoming_locks,
        caps.daily_send_cap,
        caps.page_tier,
        case
            when caps.daily_send_cap > 0
                then 100.0 * coalesce(lock_counts.upcoming_locks, 0) / (caps.daily_send_cap * {{ horizon }})
        end as saturation_pct
    from pages
    left join lock_counts on pages.page_name = lock_counts.page_name
    left join caps on pages.page_name = caps.page_name

),

final as (

    select
        page_name,
        page_tier,
        daily_send_cap,
        active_locks,
        upcoming_locks,
        round(saturation_pct, 1) as saturation_pct,
        case
            when saturation_pct is null then 'NO_CAP'
            when saturation_pct > {{ var('health_saturation_critical_pct') }} then 'CRITICAL'
            when saturation_pct > {{ var('health_saturation_warning_pct') }} then 'WARNING'
            else 'OK'
        end as saturation_level
    from joined

)

select * from final
order by saturation_pct desc, page_name
