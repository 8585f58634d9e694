{#-
  Per-page lock load for execution_date: active locks whose scheduled_send_date falls in
  [execution_date, execution_date + saturation_horizon_days), and active locks whose
  caption is missing from the bank (a validation failure of the page).
-#}
{%- set horizon = var('saturation_horizon_days') | int -%}

with

locks as (

    select * from {{ ref('stg_scheduler__caption_assignments') }}
    where is_active

),

bank as (

    select distinct caption_id from {{ ref('stg_scheduler__caption_bank') }}

),

flagged as (

    select
        locks.page_name,
        locks.assignment_key,
        (
            locks.scheduled_send_date >= {{ eros_execution_date_sql() }}
            and locks.scheduled_send_date < {{ eros_exec_date_plus(horizon) }}
        ) as is_upcoming,
        bank.caption_id is null as is_missing_caption
    from locks
    left join bank
        on locks.caption_id = bank.caption_id

),

final as (

    select
        page_name,
        count(*) as active_locks,
        sum(case when is_upcoming then 1 else 0 end) as upcoming_locked_sends,
        sum(case when is_missing_caption then 1 else 0 end) as locks_missing_caption
    from flagged
    group by page_name

)

select * from final
