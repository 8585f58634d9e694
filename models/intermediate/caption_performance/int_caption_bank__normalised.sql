{#-
  The caption bank with each caption's normalised text (eros_normalise_caption_text) and
  the id its text resolves to. The bank repeats texts under several ids; a message matched
  by text is attributed to the canonical id of its normal form: the LOWEST caption_id
  among all bank rows sharing it, whatever their usage_status. Ids are never reused and a
  new duplicate gets a higher id, so the canonical id of a text never changes, and the
  history attributed to it stays put when statuses change.
-#}
{{ config(materialized='table') }}

with

bank as (

    select * from {{ ref('stg_scheduler__caption_bank') }}

),

normalised as (

    select
        caption_id,
        caption_text,
        {{ eros_normalise_caption_text('caption_text') }} as normalised_text,
        content_category,
        price_tier,
        has_urgency,
        usage_status
    from bank
    where caption_id is not null

),

resolved as (

    select
        normalised.*,
        min(caption_id) over (partition by normalised_text) as canonical_caption_id,
        count(*) over (partition by normalised_text) as ids_with_same_text
    from normalised

),

final as (

    select
        caption_id,
        caption_text,
        normalised_text,
        -- captions whose text normalises to nothing keep their own id
        coalesce(case when normalised_text is not null then canonical_caption_id end, caption_id) as canonical_caption_id,
        case when normalised_text is not null then ids_with_same_text else 1 end as ids_with_same_text,
        content_category,
        price_tier,
        has_urgency,
        usage_status
    from resolved

)

select * from final
