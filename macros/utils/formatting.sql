{#- Text of a UTC timestamp column as 'YYYY-MM-DD HH:MM:SS', identical on every engine.
    (A plain cast to string differs: DuckDB gives '2026-06-17 11:00:00', BigQuery
    '2026-06-17 11:00:00+00'.) Used where values leave the warehouse as text (EROS_JSON). -#}
{% macro eros_timestamp_text(column) -%}
    {{ return(adapter.dispatch('eros_timestamp_text', 'eros')(column)) }}
{%- endmacro %}

{% macro default__eros_timestamp_text(column) -%}
    strftime({{ column }}, '%Y-%m-%d %H:%M:%S')
{%- endmacro %}

{% macro bigquery__eros_timestamp_text(column) -%}
    format_timestamp('%Y-%m-%d %H:%M:%S', {{ column }}, 'UTC')
{%- endmacro %}
