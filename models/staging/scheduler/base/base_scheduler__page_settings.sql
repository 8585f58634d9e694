{#-
  Every page_settings row, typed, with its data-quality verdict (issue 13). page_name is
  canonical (lower(trim()), blank as NULL), page_name_raw the source's.

  Optional source: unless var eros_page_settings_enabled is true this is an empty relation
  with the same columns, and every page takes its tier defaults (int_pages__settings).

  Rule for a canonical handle held by more than one row (for example 'Ella' and 'ella '):
  keep the row whose raw handle is already canonical, then the lowest (page_name_raw,
  time_zone, page_type, daily_send_cap, is_active) as text; the others are
  DUPLICATE_PAGE_SETTINGS. A row without a handle is NULL_PAGE_NAME.
  stg_scheduler__page_settings keeps the valid rows, reference_data_quarantine the others.
-#}
{% if var('eros_page_settings_enabled') %}

with

source as (

    select * from {{ source('scheduler', 'page_settings') }}

),

typed as (

    select
        nullif(lower(trim(cast(page_name as {{ dbt.type_string() }}))), '') as page_name,
        cast(page_name as {{ dbt.type_string() }}) as page_name_raw,
        cast(time_zone as {{ dbt.type_string() }}) as time_zone,
        cast(page_type as {{ dbt.type_string() }}) as page_type,
        cast(daily_send_cap as {{ dbt.type_bigint() }}) as daily_send_cap,
        cast(is_active as {{ dbt.type_boolean() }}) as is_active
    from source

),

ranked as (

    select
        typed.*,
        row_number() over (
            partition by typed.page_name
            order by
                case when typed.page_name_raw = typed.page_name then 0 else 1 end asc,
                coalesce(typed.page_name_raw, '') asc,
                coalesce(typed.time_zone, '') asc,
                coalesce(typed.page_type, '') asc,
                coalesce(cast(typed.daily_send_cap as {{ dbt.type_string() }}), '') asc,
                coalesce(cast(typed.is_active as {{ dbt.type_string() }}), '') asc
        ) as record_copy_number
    from typed

),

final as (

    select
        page_name,
        page_name_raw,
        time_zone,
        page_type,
        daily_send_cap,
        is_active,
        record_copy_number,
        case
            when page_name is null then 'NULL_PAGE_NAME'
            when record_copy_number > 1 then 'DUPLICATE_PAGE_SETTINGS'
        end as dq_reason
    from ranked

)

select * from final

{% else %}

    with

    final as (

        select
            cast(null as {{ dbt.type_string() }}) as page_name,
            cast(null as {{ dbt.type_string() }}) as page_name_raw,
            cast(null as {{ dbt.type_string() }}) as time_zone,
            cast(null as {{ dbt.type_string() }}) as page_type,
            cast(null as {{ dbt.type_bigint() }}) as daily_send_cap,
            cast(null as {{ dbt.type_boolean() }}) as is_active,
            cast(null as {{ dbt.type_bigint() }}) as record_copy_number,
            cast(null as {{ dbt.type_string() }}) as dq_reason

    )

    select * from final
    where 1 = 0

{% endif %}
