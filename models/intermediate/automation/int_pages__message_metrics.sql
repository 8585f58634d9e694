{#-
  Per-page message metrics over the LA days before execution_date:
  activity and quarantine share over the active window (30 d), revenue over the health
  windows (30 d and the 30 before) and the tier window (90 d).
  A table (one row per page): aggregated once per run from the validated message window,
  so the tests and models downstream read a few rows per page, not the messages.
-#}
{{ config(materialized='table') }}
{%- set active_days = var('active_window_days') | int -%}
{%- set health_days = var('health_window_days') | int -%}
{%- set tier_days = var('tier_window_days') | int -%}
{%- set widest = [active_days, 2 * health_days, tier_days] | max -%}

with

messages as (

    select * from {{ ref('stg_scheduler__mass_messages') }}
    where
        -- repeat the partition bound so BigQuery prunes to the days this model needs
        {{ eros_sending_time_window('sending_time', -1 * widest - 1, 1) }}
        and page_name is not null

),

windowed as (

    select
        page_name,
        sending_time,
        dq_reason,
        coalesce(earnings, 0) as earnings,
        sending_date_la >= {{ eros_exec_date_plus(-1 * active_days) }} as in_active_window,
        sending_date_la >= {{ eros_exec_date_plus(-1 * health_days) }} as in_health_window,
        (
            sending_date_la >= {{ eros_exec_date_plus(-2 * health_days) }}
            and sending_date_la < {{ eros_exec_date_plus(-1 * health_days) }}
        ) as in_previous_health_window,
        sending_date_la >= {{ eros_exec_date_plus(-1 * tier_days) }} as in_tier_window
    from messages
    where
        sending_date_la >= {{ eros_exec_date_plus(-1 * widest) }}
        and sending_date_la < {{ eros_execution_date_sql() }}

),

final as (

    select
        page_name,
        sum(case when in_active_window then 1 else 0 end) as rows_active_window,
        sum(case when in_active_window and dq_reason is not null then 1 else 0 end)
            as quarantined_rows_active_window,
        sum(case when in_active_window and dq_reason is null then 1 else 0 end)
            as messages_active_window,
        sum(case when in_health_window and dq_reason is null then earnings else 0 end)
            as revenue_health_window,
        sum(case when in_previous_health_window and dq_reason is null then earnings else 0 end)
            as revenue_previous_health_window,
        sum(case when in_tier_window and dq_reason is null then earnings else 0 end)
            as revenue_tier_window,
        max(case when dq_reason is null then sending_time end) as last_message_at
    from windowed
    group by page_name

)

select * from final
