{#-
  The per-page analysis of the daily job for var('execution_date'), set-based (no loop):
  active flag, trailing revenue, tier, health, daily send cap, upcoming locked sends,
  saturation and the page-level validation verdict. Rules: DOMAIN.md "Rules".
-#}
{%- set tiers = var('tier_thresholds_usd') -%}
{%- set caps = var('tier_daily_send_caps') -%}
{%- set growth = var('health_growth_threshold_pct') | float -%}
{%- set horizon = var('saturation_horizon_days') | int -%}
{%- set max_quarantine_pct = var('page_quarantine_failure_pct') | float -%}

with

message_metrics as (

    select * from {{ ref('int_pages__message_metrics') }}

),

lock_metrics as (

    select * from {{ ref('int_pages__lock_metrics') }}

),

settings as (

    select * from {{ ref('stg_scheduler__page_settings') }}

),

time_zones as (

    select * from {{ ref('iana_time_zones') }}

),

pages as (

    select page_name from message_metrics
    union distinct
    select page_name from settings
    where page_name is not null

),

joined as (

    select
        pages.page_name,
        coalesce(message_metrics.rows_active_window, 0) as rows_active_window,
        coalesce(message_metrics.quarantined_rows_active_window, 0) as quarantined_rows_active_window,
        coalesce(message_metrics.messages_active_window, 0) as messages_active_window,
        coalesce(message_metrics.revenue_health_window, 0) as revenue_30d,
        coalesce(message_metrics.revenue_previous_health_window, 0) as revenue_previous_30d,
        coalesce(message_metrics.revenue_tier_window, 0) as revenue_90d,
        message_metrics.last_message_at,
        coalesce(lock_metrics.active_locks, 0) as active_locks,
        coalesce(lock_metrics.upcoming_locked_sends, 0) as upcoming_locked_sends,
        coalesce(lock_metrics.locks_missing_caption, 0) as locks_missing_caption,
        settings.page_name is not null as has_settings,
        settings.time_zone as settings_time_zone,
        settings.page_type,
        settings.daily_send_cap as settings_daily_send_cap,
        settings.is_active as settings_is_active,
        time_zones.time_zone is not null as is_known_time_zone
    from pages
    left join message_metrics
        on pages.page_name = message_metrics.page_name
    left join lock_metrics
        on pages.page_name = lock_metrics.page_name
    left join settings
        on pages.page_name = settings.page_name
    left join time_zones
        on settings.time_zone = time_zones.time_zone

),

classified as (

    select
        joined.*,
        -- Active page: at least one row in the active window, unless settings switch it off.
        (rows_active_window > 0 and coalesce(settings_is_active, true)) as is_active,
        case
            when revenue_90d < {{ tiers.micro }} then 'MICRO'
            when revenue_90d < {{ tiers.small }} then 'SMALL'
            when revenue_90d < {{ tiers.medium }} then 'MEDIUM'
            when revenue_90d < {{ tiers.large }} then 'LARGE'
            else 'MEGA'
        end as page_tier,
        case
            when revenue_previous_30d = 0 and revenue_30d > 0 then 'GROWING'
            when revenue_previous_30d = 0 then 'STABLE'
            when revenue_30d > revenue_previous_30d * {{ 1 + growth / 100 }} then 'GROWING'
            when revenue_30d < revenue_previous_30d * {{ 1 - growth / 100 }} then 'DECLINING'
            else 'STABLE'
        end as health_status,
        case
            when rows_active_window = 0 then 0.0
            else 100.0 * quarantined_rows_active_window / rows_active_window
        end as quarantined_pct
    from joined

),

capped as (

    select
        classified.*,
        case classified.page_tier
            {%- for tier, cap in caps.items() %}
                when '{{ tier }}' then {{ cap }}
            {%- endfor %}
        end as tier_daily_send_cap,
        coalesce(
            classified.settings_daily_send_cap,
            case classified.page_tier
                {%- for tier, cap in caps.items() %}
                    when '{{ tier }}' then {{ cap }}
                {%- endfor %}
            end
        ) as daily_send_cap,
        case
            when classified.settings_daily_send_cap is not null then 'settings'
            else 'tier_default'
        end as daily_send_cap_source,
        coalesce(classified.settings_time_zone, '{{ eros_business_tz() }}') as page_time_zone
    from classified

),

validated as (

    select
        capped.*,
        case
            when capped.daily_send_cap > 0
                then 100.0 * capped.upcoming_locked_sends / (capped.daily_send_cap * {{ horizon }})
        end as saturation_pct,
        -- Page-level validation: any of these makes the analysis meaningless.
        nullif(
            concat(
                case
                    when capped.has_settings and capped.settings_time_zone is not null and not capped.is_known_time_zone
                        then concat('INVALID_TIME_ZONE: unknown time zone ', capped.settings_time_zone, '; ')
                    when capped.has_settings and capped.settings_time_zone is null
                        then 'INVALID_TIME_ZONE: time zone is empty; '
                    else ''
                end,
                case
                    when capped.daily_send_cap is null or capped.daily_send_cap <= 0
                        then concat(
                            'INVALID_SEND_CAP: daily send cap ',
                            coalesce(cast(capped.daily_send_cap as {{ dbt.type_string() }}), 'NULL'),
                            ' is not positive; '
                        )
                    else ''
                end,
                case
                    when capped.quarantined_pct > {{ max_quarantine_pct }}
                        then concat(
                            'QUARANTINE_RATE: ',
                            {{ eros_integer_text('capped.quarantined_rows_active_window') }},
                            ' of ',
                            {{ eros_integer_text('capped.rows_active_window') }},
                            ' rows in the {{ var("active_window_days") }}-day window quarantined (limit {{ '%g' % max_quarantine_pct }}%); '
                        )
                    else ''
                end,
                case
                    when capped.locks_missing_caption > 0
                        then concat(
                            'LOCKS_ON_MISSING_CAPTIONS: ',
                            {{ eros_integer_text('capped.locks_missing_caption') }},
                            ' active locks reference captions missing from caption_bank; '
                        )
                    else ''
                end
            ),
            ''
        ) as validation_errors
    from capped

),

final as (

    select
        {{ eros_execution_date_sql() }} as execution_date,
        page_name,
        is_active,
        page_tier,
        health_status,
        page_type,
        page_time_zone,
        daily_send_cap,
        daily_send_cap_source,
        tier_daily_send_cap,
        messages_active_window,
        rows_active_window,
        quarantined_rows_active_window,
        quarantined_pct,
        revenue_30d,
        revenue_previous_30d,
        revenue_90d,
        last_message_at,
        active_locks,
        upcoming_locked_sends,
        locks_missing_caption,
        saturation_pct,
        case when is_active then rtrim(validation_errors, '; ') end as validation_error,
        (
            is_active
            and validation_errors is null
            and saturation_pct < {{ var('saturation_queue_threshold_pct') }}
        ) as needs_schedule
    from validated

)

select * from final
