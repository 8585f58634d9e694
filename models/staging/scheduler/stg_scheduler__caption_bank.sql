with

source as (

    select * from {{ source('scheduler', 'caption_bank') }}

),

final as (

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

)

select * from final
