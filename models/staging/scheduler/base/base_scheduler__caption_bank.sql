{#-
  Every caption_bank row, typed, with its data-quality verdict (issue 13). The bank is
  reference data shared by every page, so a bad bank row must never fail a page: a
  duplicated caption_id resolves deterministically and the extra rows are quarantined.

  Rule for a caption_id held by more than one row: keep the most recently updated row
  (updated_at, then created_at, newest first), then the lowest (caption_text,
  content_category, price_tier, usage_status); the others are DUPLICATE_CAPTION_ID. A row
  without caption_id is NULL_CAPTION_ID. stg_scheduler__caption_bank keeps the valid rows,
  reference_data_quarantine the others.
-#}

with

source as (

    select * from {{ source('scheduler', 'caption_bank') }}

),

typed as (

    select
        cast(caption_id as {{ dbt.type_bigint() }}) as caption_id,
        cast(caption_text as {{ dbt.type_string() }}) as caption_text,
        cast(content_category as {{ dbt.type_string() }}) as content_category,
        cast(price_tier as {{ dbt.type_string() }}) as price_tier,
        cast(has_urgency as {{ dbt.type_boolean() }}) as has_urgency,
        cast(usage_status as {{ dbt.type_string() }}) as usage_status,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at
    from source

),

ranked as (

    select
        typed.*,
        row_number() over (
            partition by typed.caption_id
            order by
                typed.updated_at desc,
                typed.created_at desc,
                coalesce(typed.caption_text, '') asc,
                coalesce(typed.content_category, '') asc,
                coalesce(typed.price_tier, '') asc,
                coalesce(typed.usage_status, '') asc
        ) as record_copy_number
    from typed

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
        updated_at,
        record_copy_number,
        case
            when caption_id is null then 'NULL_CAPTION_ID'
            when record_copy_number > 1 then 'DUPLICATE_CAPTION_ID'
        end as dq_reason
    from ranked

)

select * from final
