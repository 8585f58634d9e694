{#-
  The mass-message validation (issue 13): one home for the typing, the canonical page_name,
  the duplicate check and the data-quality verdict (dq_reason) of every row read. A SELECT
  with the columns of stg_scheduler__mass_messages.

  read_from_days / read_to_days none (stg_scheduler__mass_messages): the whole scan, i.e.
  sending_time from the window's lower bound (local midnight of execution_date -
  mass_messages_max_history_days) on, including rows after its upper bound (as_of +
  future_scan_days, quarantined as SENDING_TIME_BEYOND_SCAN), plus the rows with a NULL
  sending_time (NULL_SENDING_TIME). On BigQuery both reads are bounded by constants (the
  second selects only the NULL partition), so the scan stays partition-pruned.

  read_from_days / read_to_days given (the caption job's window,
  int_caption_performance__window_messages): only the rows whose sending_time is in
  [local midnight of execution_date + read_from_days, local midnight of execution_date +
  read_to_days), clipped to the scan's bounds. Every rule is row-local except the
  duplicate check, whose copies share their sending_time, so a row of the slice gets the
  same verdict as in the whole scan.
-#}
{% macro eros_mass_messages_validated(read_from_days=none, read_to_days=none) %}
{%- set bounds = eros_mass_messages_scan_bounds() -%}
{%- if read_from_days is not none -%}
    {%- set slice_from = [eros_local_midnight_utc(eros_execution_date(), read_from_days | int), bounds.lower] | max -%}
    {%- set slice_to = [eros_local_midnight_utc(eros_execution_date(), read_to_days | int), bounds.upper] | min -%}
{%- endif %}
with

{%- if read_from_days is none %}
source_timed as (

    -- the window and every row after it (those are quarantined below)
    select * from {{ source('scheduler', 'mass_messages') }}
    where
        sending_time >= {{ eros_timestamp_literal(bounds.lower) }}
        and sending_time <= {{ eros_max_timestamp_literal() }}

),

source_untimed as (

    -- the NULL partition only
    select * from {{ source('scheduler', 'mass_messages') }}
    where sending_time is null

),

source as (

    select * from source_timed
    union all
    select * from source_untimed

),
{%- else %}
source as (

    -- a slice of the window: [local midnight of execution_date + read_from_days,
    -- local midnight of execution_date + read_to_days), within the scan's bounds
    select * from {{ source('scheduler', 'mass_messages') }}
    where
        sending_time >= {{ eros_timestamp_literal(slice_from) }}
        and sending_time < {{ eros_timestamp_literal(slice_to) }}

),
{%- endif %}

typed as (

    select
        cast(row_id as {{ dbt.type_string() }}) as row_id,
        nullif(lower(trim(cast(page_name as {{ dbt.type_string() }}))), '') as page_name,
        cast(page_name as {{ dbt.type_string() }}) as page_name_raw,
        cast(message as {{ dbt.type_string() }}) as message,
        cast(sending_time as {{ dbt.type_timestamp() }}) as sending_time,
        cast(price as {{ eros_type_float() }}) as price,
        cast(sent_count as {{ dbt.type_bigint() }}) as sent_count,
        cast(viewed_count as {{ dbt.type_bigint() }}) as viewed_count,
        cast(purchased_count as {{ eros_type_float() }}) as purchased_count,
        cast(earnings as {{ eros_type_float() }}) as earnings,
        cast(message_type as {{ dbt.type_string() }}) as message_type,
        cast(caption_id as {{ dbt.type_bigint() }}) as caption_id
    from source

),

copied_keys as (

    -- (row_id, sending_time) loaded more than once. Grouping finds them at a fraction of
    -- the cost of a window over every row; only their copies are ranked below.
    select
        row_id,
        sending_time,
        count(*) as copies
    from typed
    group by row_id, sending_time
    having count(*) > 1

),

flagged as (

    select
        typed.*,
        case
            when typed.sending_time < {{ eros_timestamp_literal(bounds.upper) }}
                then {{ eros_to_local_date_bounded('typed.sending_time', bounds.lower, bounds.upper) }}
        end as sending_date_la,
        (
            {{ eros_is_non_finite('typed.price') }}
            or {{ eros_is_non_finite('typed.purchased_count') }}
            or {{ eros_is_non_finite('typed.earnings') }}
        ) as has_non_finite,
        copied_keys.copies is not null as has_copies
    from typed
    left join copied_keys
        on
            -- null-safe on row_id and sending_time (copies of a row without id or time
            -- are still copies)
            coalesce(typed.row_id, '') = coalesce(copied_keys.row_id, '')
            and (typed.row_id is null) = (copied_keys.row_id is null)
            and coalesce(typed.sending_time, {{ eros_timestamp_literal(bounds.lower) }})
            = coalesce(copied_keys.sending_time, {{ eros_timestamp_literal(bounds.lower) }})
            and (typed.sending_time is null) = (copied_keys.sending_time is null)

),

ranked as (

    select
        flagged.*,
        cast(1 as {{ dbt.type_bigint() }}) as row_id_rank
    from flagged
    where not flagged.has_copies

    union all

    select
        flagged.*,
        -- Keep the most grown copy of a row loaded more than once (same row_id and
        -- sending_time; a copy with a non-finite number never wins); the others are
        -- quarantined. Keyed by sending_time too, so the
        -- consumers' sending_time filters stay pushable (partition pruning on BigQuery); a
        -- row_id reused at another time is caught by the unique test on
        -- int_mass_messages__valid.
        row_number() over (
            partition by flagged.row_id, flagged.sending_time
            order by
                coalesce(flagged.has_non_finite, false) asc,
                flagged.earnings desc,
                flagged.viewed_count desc,
                flagged.sent_count desc,
                flagged.sending_time asc,
                flagged.message asc
        ) as row_id_rank
    from flagged
    where flagged.has_copies

),

final as (

    select
        ranked.row_id,
        ranked.page_name,
        ranked.page_name_raw,
        ranked.message,
        ranked.sending_time,
        ranked.sending_date_la,
        ranked.price,
        ranked.sent_count,
        ranked.viewed_count,
        ranked.purchased_count,
        ranked.earnings,
        ranked.message_type,
        ranked.caption_id,
        ranked.row_id_rank as row_copy_number,
        -- First failing rule wins; NULL means the row is valid. Bounds: vars
        -- mass_messages_max_price_usd, _max_earnings_usd, _max_count (dbt_project.yml).
        case
            when ranked.row_id is null then 'NULL_ROW_ID'
            when ranked.sending_time is null then 'NULL_SENDING_TIME'
            when ranked.page_name is null then 'NULL_PAGE_NAME'
            when ranked.row_id_rank > 1 then 'DUPLICATE_ROW_ID'
            when ranked.sending_time >= {{ eros_timestamp_literal(bounds.upper) }} then 'SENDING_TIME_BEYOND_SCAN'
            when ranked.sending_time > {{ eros_as_of_sql() }} then 'FUTURE_SENDING_TIME'
            when ranked.message_type is null or ranked.message_type not in ('PPV', 'Bump')
                then 'INVALID_MESSAGE_TYPE'
            when ranked.has_non_finite then 'NON_FINITE_NUMBER'
            when ranked.earnings < 0 then 'NEGATIVE_EARNINGS'
            when
                ranked.sent_count < 0
                or ranked.viewed_count < 0
                or ranked.purchased_count < 0
                or ranked.price < 0
                then 'NEGATIVE_COUNT'
            when ranked.price > {{ var('mass_messages_max_price_usd') }} then 'PRICE_OUT_OF_RANGE'
            when ranked.earnings > {{ var('mass_messages_max_earnings_usd') }} then 'EARNINGS_OUT_OF_RANGE'
            when
                ranked.sent_count > {{ var('mass_messages_max_count') }}
                or ranked.viewed_count > {{ var('mass_messages_max_count') }}
                or ranked.purchased_count > {{ var('mass_messages_max_count') }}
                then 'COUNT_OUT_OF_RANGE'
            when ranked.viewed_count > ranked.sent_count then 'VIEWED_GT_SENT'
            when ranked.purchased_count > ranked.viewed_count then 'PURCHASED_GT_VIEWED'
        end as dq_reason
    from ranked

)

select * from final
{% endmacro %}
