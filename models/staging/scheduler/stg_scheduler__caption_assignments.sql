-- Caption locks, one row per assignment_key (duplicates resolved and quarantined in
-- base_scheduler__caption_assignments; see its rule). page_name is canonical.
with

locks as (

    select * from {{ ref('base_scheduler__caption_assignments') }}

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
        deactivation_reason
    from locks
    where dq_reason is null

)

select * from final
