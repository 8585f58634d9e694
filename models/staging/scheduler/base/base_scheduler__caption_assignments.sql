{#-
  Every caption lock (active_caption_assignments) row, typed, with its data-quality
  verdict (issue 13). page_name is canonical (lower(trim()), blank as NULL), page_name_raw
  the source's.

  Rule for an assignment_key held by more than one row: keep the latest assignment
  (assigned_at newest first), then an active row before an inactive one, then the lowest
  (page_name_raw, caption_id, scheduled_send_date, scheduled_send_hour, schedule_id) as text;
  the others are DUPLICATE_ASSIGNMENT_KEY. A row without assignment_key is
  NULL_ASSIGNMENT_KEY. stg_scheduler__caption_assignments keeps the valid rows,
  reference_data_quarantine the others.
-#}

with

source as (

    select * from {{ source('scheduler', 'active_caption_assignments') }}

),

typed as (

    select
        cast(assignment_key as {{ dbt.type_string() }}) as assignment_key,
        nullif(lower(trim(cast(page_name as {{ dbt.type_string() }}))), '') as page_name,
        cast(page_name as {{ dbt.type_string() }}) as page_name_raw,
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

),

ranked as (

    select
        typed.*,
        row_number() over (
            partition by typed.assignment_key
            order by
                typed.assigned_at desc,
                coalesce(typed.is_active, false) desc,
                coalesce(typed.page_name_raw, '') asc,
                coalesce(cast(typed.caption_id as {{ dbt.type_string() }}), '') asc,
                coalesce(cast(typed.scheduled_send_date as {{ dbt.type_string() }}), '') asc,
                coalesce(cast(typed.scheduled_send_hour as {{ dbt.type_string() }}), '') asc,
                coalesce(typed.schedule_id, '') asc
        ) as record_copy_number
    from typed

),

final as (

    select
        assignment_key,
        page_name,
        page_name_raw,
        caption_id,
        caption_text,
        assigned_date,
        scheduled_send_date,
        scheduled_send_hour,
        price_tier,
        is_active,
        assigned_at,
        schedule_id,
        deactivated_at,
        deactivation_reason,
        record_copy_number,
        case
            when assignment_key is null then 'NULL_ASSIGNMENT_KEY'
            when record_copy_number > 1 then 'DUPLICATE_ASSIGNMENT_KEY'
        end as dq_reason
    from ranked

)

select * from final
