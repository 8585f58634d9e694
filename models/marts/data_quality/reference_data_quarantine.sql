{#-
  Reference rows (caption_bank, active_caption_assignments, page_settings) that the analysis does not use,
  with the reason code (issue 13). The raw tables are never changed here. A duplicated key
  resolves deterministically (rules in base_scheduler__caption_bank,
  base_scheduler__caption_assignments and base_scheduler__page_settings, README "Row
  validation"): the kept row is in the
  staging model, the extra rows are here, so no page fails because of a bank row.
  Reason codes: NULL_CAPTION_ID, DUPLICATE_CAPTION_ID (caption_bank);
  NULL_ASSIGNMENT_KEY, DUPLICATE_ASSIGNMENT_KEY (active_caption_assignments);
  NULL_PAGE_NAME, DUPLICATE_PAGE_SETTINGS (page_settings, when enabled).
-#}
{{ config(tags=['daily', 'caption_performance']) }}

with

bank as (

    select * from {{ ref('base_scheduler__caption_bank') }}

),

locks as (

    select * from {{ ref('base_scheduler__caption_assignments') }}

),

bank_quarantined as (

    select
        'caption_bank' as source_table,
        cast(caption_id as {{ dbt.type_string() }}) as record_key,
        record_copy_number,
        cast(null as {{ dbt.type_string() }}) as page_name,
        cast(null as {{ dbt.type_string() }}) as page_name_raw,
        caption_id,
        caption_text,
        updated_at as record_time,
        dq_reason as quarantine_reason
    from bank
    where dq_reason is not null

),

settings as (

    select * from {{ ref('base_scheduler__page_settings') }}

),

locks_quarantined as (

    select
        'active_caption_assignments' as source_table,
        assignment_key as record_key,
        record_copy_number,
        page_name,
        page_name_raw,
        caption_id,
        caption_text,
        assigned_at as record_time,
        dq_reason as quarantine_reason
    from locks
    where dq_reason is not null

),

settings_quarantined as (

    select
        'page_settings' as source_table,
        page_name as record_key,
        record_copy_number,
        page_name,
        page_name_raw,
        cast(null as {{ dbt.type_bigint() }}) as caption_id,
        cast(null as {{ dbt.type_string() }}) as caption_text,
        cast(null as {{ dbt.type_timestamp() }}) as record_time,
        dq_reason as quarantine_reason
    from settings
    where dq_reason is not null

),

unioned as (

    select * from bank_quarantined
    union all
    select * from locks_quarantined
    union all
    select * from settings_quarantined

),

final as (

    select
        {{ dbt.hash("concat(source_table, '|', coalesce(record_key, '<null>'), '|', cast(record_copy_number as " ~ dbt.type_string() ~ "))") }} as quarantine_key,
        source_table,
        record_key,
        record_copy_number,
        page_name,
        page_name_raw,
        caption_id,
        caption_text,
        record_time,
        quarantine_reason,
        {{ eros_as_of_sql() }} as quarantined_at
    from unioned

)

select * from final
