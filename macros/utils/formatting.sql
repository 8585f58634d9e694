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


{#- The one number format of human log lines (issue 15; eros.console.number in Python):
    thousands separators, `decimals` places for a fraction, none as 'none'. -#}
{% macro eros_number(value, decimals=1) -%}
    {%- if value is none -%}
        {{ return('none') }}
    {%- endif -%}
    {%- set as_float = value | float -%}
    {%- if as_float == (as_float | int) -%}
        {{ return('{:,}'.format(as_float | int)) }}
    {%- endif -%}
    {{ return(('{:,.' ~ decimals ~ 'f}').format(as_float)) }}
{%- endmacro %}


{#- A human sentence logged beside a machine line (EROS_JSON), for dbt Cloud users who read
    the run log: `eros: cleaned 3,082 locks ...`. -#}
{% macro eros_say(sentence) %}
    {% do log('eros: ' ~ sentence, info=true) %}
{% endmacro %}
