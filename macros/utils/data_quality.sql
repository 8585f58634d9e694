{#-
  Engine-specific pieces of the row validation (issue 13), dispatched so no model holds
  engine SQL.
-#}

{#- True when the float `column` is NaN, +Infinity or -Infinity (NULL stays NULL). -#}
{% macro eros_is_non_finite(column) -%}
    {{ return(adapter.dispatch('eros_is_non_finite', 'eros')(column)) }}
{%- endmacro %}

{#- Portable IEEE test: x * 0 is 0 for every finite x and NaN for NaN and +-Infinity. -#}
{% macro default__eros_is_non_finite(column) -%}
    ({{ column }} * 0 <> 0)
{%- endmacro %}

{% macro duckdb__eros_is_non_finite(column) -%}
    (isnan({{ column }}) or isinf({{ column }}))
{%- endmacro %}

{% macro bigquery__eros_is_non_finite(column) -%}
    (is_nan({{ column }}) or is_inf({{ column }}))
{%- endmacro %}


{#- The latest timestamp the engine stores: the constant upper bound of the read of rows
    after the scan window (a read bounded on both sides prunes partitions on BigQuery).
    DuckDB has an 'infinity' timestamp, which a bound at year 9999 would silently drop. -#}
{% macro eros_max_timestamp_literal() -%}
    {{ return(adapter.dispatch('eros_max_timestamp_literal', 'eros')()) }}
{%- endmacro %}

{% macro default__eros_max_timestamp_literal() -%}
    cast('9999-12-31 23:59:59.999999' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro duckdb__eros_max_timestamp_literal() -%}
    cast('infinity' as timestamp)
{%- endmacro %}
