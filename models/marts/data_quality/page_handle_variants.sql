{#-
  Page handles that are not canonical in the sources (issue 13, "Canonical handles"):
  staging canonicalises page_name as lower(trim(page_name)); this counts, per source and
  raw handle, the rows whose raw handle differed. The WARNING alert rule
  non_canonical_page_handles reports them. mass_messages: every row of the scan (valid or
  quarantined); locks: the kept rows; settings: when enabled.
-#}
{{ config(tags=['daily']) }}

with

messages as (

    select * from {{ ref('stg_scheduler__mass_messages') }}

),

locks as (

    select * from {{ ref('stg_scheduler__caption_assignments') }}

),

settings as (

    select * from {{ ref('stg_scheduler__page_settings') }}

),

message_variants as (

    select
        'mass_messages' as source_table,
        page_name,
        page_name_raw,
        count(*) as source_rows
    from messages
    where
        page_name is not null
        and page_name_raw != page_name
    group by page_name, page_name_raw

),

lock_variants as (

    select
        'active_caption_assignments' as source_table,
        page_name,
        page_name_raw,
        count(*) as source_rows
    from locks
    where
        page_name is not null
        and page_name_raw != page_name
    group by page_name, page_name_raw

),

settings_variants as (

    select
        'page_settings' as source_table,
        page_name,
        page_name_raw,
        count(*) as source_rows
    from settings
    where
        page_name is not null
        and page_name_raw != page_name
    group by page_name, page_name_raw

),

final as (

    select * from message_variants
    union all
    select * from lock_variants
    union all
    select * from settings_variants

)

select * from final
