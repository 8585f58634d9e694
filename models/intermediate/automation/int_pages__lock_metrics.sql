{#-
  Per-page lock load for execution_date: active locks whose scheduled_send_date falls in
  [execution_date, execution_date + saturation_horizon_days), and active locks whose
  caption is missing from the bank (a validation failure of the page).

  Same answer on every re-run (issue 13): the locks are judged as they stood at the start
  of the execution date (local midnight in the business time zone, instant S) after a
  lock sweep at S, not as they stand when the job runs. A lock counts when it was active
  at S (is_active, or deactivated at or after S: by this job's own sweep, an hourly sweep
  or the builder later that day) and the sweep rules at S keep it (scheduled_send_date
  not before the execution date; assigned_at not more than lock_stale_after_days before
  S). So the job's own sweep and any number of hourly sweeps between re-runs change no
  saturation and no validation verdict of the date, and a re-run queues nothing new.
-#}
{%- set horizon = var('saturation_horizon_days') | int -%}
{%- set state_at = eros_local_midnight_utc(eros_execution_date()) -%}
{%- set stale_before = state_at - modules.datetime.timedelta(days=var('lock_stale_after_days') | int) -%}

with

locks as (

    select * from {{ ref('stg_scheduler__caption_assignments') }}
    where
        (
            is_active
            or deactivated_at >= {{ eros_timestamp_literal(state_at) }}
        )
        and (
            scheduled_send_date is null
            or scheduled_send_date >= {{ eros_execution_date_sql() }}
        )
        and (
            assigned_at is null
            or assigned_at >= {{ eros_timestamp_literal(stale_before) }}
        )

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
