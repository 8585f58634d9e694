-- Optional per-page settings, one row per canonical page_name (duplicates resolved and
-- quarantined in base_scheduler__page_settings; see its rule). Empty unless var
-- eros_page_settings_enabled is true: every page then takes its tier defaults.
with

settings as (

    select * from {{ ref('base_scheduler__page_settings') }}

),

final as (

    select
        page_name,
        page_name_raw,
        time_zone,
        page_type,
        daily_send_cap,
        is_active
    from settings
    where dq_reason is null

)

select * from final
