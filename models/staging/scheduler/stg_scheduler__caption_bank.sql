-- The caption bank, one row per caption_id (duplicates resolved and quarantined in
-- base_scheduler__caption_bank; see its rule).
with

bank as (

    select * from {{ ref('base_scheduler__caption_bank') }}

),

final as (

    select
        caption_id,
        caption_text,
        content_category,
        price_tier,
        has_urgency,
        usage_status,
        created_at,
        updated_at
    from bank
    where dq_reason is null

)

select * from final
