{#-
  Mass messages that broke a validation rule, with the reason code. The raw table is
  never changed; this is where the rows the analysis does not use can be inspected.
  Reason codes: NULL_ROW_ID, NULL_PAGE_NAME, DUPLICATE_ROW_ID, FUTURE_SENDING_TIME,
  INVALID_MESSAGE_TYPE, NEGATIVE_EARNINGS, NEGATIVE_COUNT, VIEWED_GT_SENT,
  PURCHASED_GT_VIEWED.
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
