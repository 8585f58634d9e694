with

source as (

    select * from {{ source('scheduler', 'active_caption_assignments') }}

),

final as (

    select
        cast(assignment_key as {{ dbt.type_string() }}) as assignment_key,
        cast(page_name as {{ dbt.type_string() }}) as page_name,
        cast(caption_id as {{ dbt.type_bigint() }}) as caption_id,
        cast(caption_text as {{ dbt.type_string() }}) as caption_text,
        cast(assigned_date as date) as assigned_date,
        cast(scheduled_send_date as date) as scheduled_send_date,
        cast(scheduled_send_hour as {{ dbt.type_bigint() }}) as scheduled_send_hour,
        cast(price_tier as {{ dbt.type_string() }}) as price_tier,
        cast(is_active as {{ dbt.type_boolean() }}) as is_active,
        cast(assigned_at as {{ dbt.type_timestamp() }}) as assigned_at,
        cast(schedule_id as {{ dbt.type_string() }}) as schedule_id,
        cast(deactivated_at as {{ dbt.type_timestamp() }}) as deactivated_at,
        cast(deactivation_reason as {{ dbt.type_string() }}) as deactivation_reason
    from source

)

select * from final
