{#-
  Every row accounted for (issue 13): per source, the rows of its bounded read equal the
  valid rows plus the quarantined rows. mass_messages is read as stg_scheduler__mass_messages
  reads it (sending_time from the scan's lower bound on, plus the NULL partition; older rows
  are history outside the scan); the reference tables are read whole. One row per source
  that loses or invents rows.
  Severity warn: a load landing between the staging build and this test would otherwise
  fail every page of the run; tests/python/test_bad_rows.py requires it to pass.
-#}
{{ config(severity='warn', tags=['daily', 'data_quality']) }}
{%- set bounds = eros_mass_messages_scan_bounds() -%}

with

messages_timed as (

    select count(*) as row_count
    from {{ source('scheduler', 'mass_messages') }}
    where
        sending_time >= {{ eros_timestamp_literal(bounds.lower) }}
        and sending_time <= {{ eros_max_timestamp_literal() }}

),

messages_untimed as (

    select count(*) as row_count
    from {{ source('scheduler', 'mass_messages') }}
    where sending_time is null

),

messages_valid as (

    select count(*) as row_count from {{ ref('int_mass_messages__valid') }}

),

messages_quarantined as (

    select count(*) as row_count from {{ ref('mass_messages_quarantine') }}

),

bank_raw as (

    select count(*) as row_count from {{ source('scheduler', 'caption_bank') }}

),

bank_valid as (

    select count(*) as row_count from {{ ref('stg_scheduler__caption_bank') }}

),

locks_raw as (

    select count(*) as row_count from {{ source('scheduler', 'active_caption_assignments') }}

),

locks_valid as (

    select count(*) as row_count from {{ ref('stg_scheduler__caption_assignments') }}

),

reference_quarantined as (

    select
        sum(case when source_table = 'caption_bank' then 1 else 0 end) as bank_rows,
        sum(case when source_table = 'active_caption_assignments' then 1 else 0 end) as lock_rows
    from {{ ref('reference_data_quarantine') }}

),

balances as (

    select
        'mass_messages' as source_table,
        messages_timed.row_count + messages_untimed.row_count as raw_rows,
        messages_valid.row_count as valid_rows,
        messages_quarantined.row_count as quarantined_rows
    from messages_timed
    cross join messages_untimed
    cross join messages_valid
    cross join messages_quarantined

    union all

    select
        'caption_bank' as source_table,
        bank_raw.row_count as raw_rows,
        bank_valid.row_count as valid_rows,
        coalesce(reference_quarantined.bank_rows, 0) as quarantined_rows
    from bank_raw
    cross join bank_valid
    cross join reference_quarantined

    union all

    select
        'active_caption_assignments' as source_table,
        locks_raw.row_count as raw_rows,
        locks_valid.row_count as valid_rows,
        coalesce(reference_quarantined.lock_rows, 0) as quarantined_rows
    from locks_raw
    cross join locks_valid
    cross join reference_quarantined

),

final as (

    select * from balances
    where raw_rows != valid_rows + quarantined_rows

)

select * from final
