{#-
  Mass messages that broke a validation rule, with the reason code. The raw table is
  never changed; this is where the rows the analysis does not use can be inspected.
  Reason codes (first failing rule wins, in this order; README "Row validation"):
  NULL_ROW_ID, NULL_SENDING_TIME, NULL_PAGE_NAME, DUPLICATE_ROW_ID,
  SENDING_TIME_BEYOND_SCAN, FUTURE_SENDING_TIME, INVALID_MESSAGE_TYPE, NON_FINITE_NUMBER,
  NEGATIVE_EARNINGS, NEGATIVE_COUNT, PRICE_OUT_OF_RANGE, EARNINGS_OUT_OF_RANGE,
  COUNT_OUT_OF_RANGE, VIEWED_GT_SENT, PURCHASED_GT_VIEWED.
-#}
{{ config(tags=['daily', 'caption_performance']) }}

with

messages as (

    select * from {{ ref('stg_scheduler__mass_messages') }}

),

final as (

    select
        {{ dbt.hash("concat(coalesce(row_id, '<null>'), '|', coalesce(" ~ eros_timestamp_text('sending_time') ~ ", ''), '|', cast(row_copy_number as " ~ dbt.type_string() ~ "))") }} as quarantine_key,
        row_id,
        row_copy_number,
        page_name,
        page_name_raw,
        sending_time,
        sending_date_la,
        message_type,
        caption_id,
        price,
        sent_count,
        viewed_count,
        purchased_count,
        earnings,
        message,
        dq_reason as quarantine_reason,
        {{ eros_as_of_sql() }} as quarantined_at
    from messages
    where dq_reason is not null

)

select * from final
