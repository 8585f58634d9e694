{#-
  Optional per-page settings. The real dataset has none: unless var
  eros_page_settings_enabled is true this is an empty relation with the same columns,
  and every page takes its tier defaults (int_pages__settings). page_name is canonical
  (lower(trim()), blank as NULL), page_name_raw the source's.
-#}
{% if var('eros_page_settings_enabled') %}

with

source as (

    select * from {{ source('scheduler', 'page_settings') }}

),

final as (

    select
        nullif(lower(trim(cast(page_name as {{ dbt.type_string() }}))), '') as page_name,
        cast(page_name as {{ dbt.type_string() }}) as page_name_raw,
        cast(time_zone as {{ dbt.type_string() }}) as time_zone,
        cast(page_type as {{ dbt.type_string() }}) as page_type,
        cast(daily_send_cap as {{ dbt.type_bigint() }}) as daily_send_cap,
        cast(is_active as {{ dbt.type_boolean() }}) as is_active
    from source

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
            cast(null as {{ dbt.type_boolean() }}) as is_active

    )

    select * from final
    where 1 = 0

{% endif %}
