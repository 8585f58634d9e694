-- Mass messages that passed every validation rule (see stg_scheduler__mass_messages).
with

messages as (

    select * from {{ ref('stg_scheduler__mass_messages') }}

),

final as (

    select
        row_id,
        page_name,
        message,
        sending_time,
        sending_date_la,
        price,
        sent_count,
        viewed_count,
        purchased_count,
        earnings,
        message_type,
        caption_id
    from messages
    where dq_reason is null

)

select * from final
