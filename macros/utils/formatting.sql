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
    thousands separators, `decimals` places for a fraction (for a whole number too when
    `fixed`), none as 'none'. -#}
{% macro eros_number(value, decimals=1, fixed=false) -%}
    {%- if value is none -%}
        {{ return('none') }}
    {%- endif -%}
    {%- set as_float = value | float -%}
    {%- if as_float == (as_float | int) and not fixed -%}
        {{ return('{:,}'.format(as_float | int)) }}
    {%- endif -%}
    {{ return(('{:,.' ~ decimals ~ 'f}').format(as_float)) }}
{%- endmacro %}


{#- The one percent format (eros.console.percent in Python; tests/python/test_health.py
    checks the two agree): one decimal always, '97.4%', '100.0%'; none as 'none'. -#}
{% macro eros_percent(value) -%}
    {%- if value is none -%}
        {{ return('none') }}
    {%- endif -%}
    {{ return(eros_number(value, 1, fixed=true) ~ '%') }}
{%- endmacro %}


{#- A human sentence logged beside a machine line (EROS_JSON), for dbt Cloud users who read
    the run log: `eros: cleaned 3,082 locks ...`. -#}
{% macro eros_say(sentence) %}
    {% do log('eros: ' ~ sentence, info=true) %}
{% endmacro %}


{#- SQL text of an integer expression in the one number format (thousands separators:
    '8,359'; eros_number above and eros.console.number in Python give the same text), for
    the human detail strings the warehouse builds (health_measures, page errors), so an alert
    reads "8,359 active locks (threshold 5,000); 8,359 active locks on 95 pages".
    Built from floor, mod, lpad and concat, which DuckDB and BigQuery share, rather than
    FORMAT: the two engines' FORMAT patterns differ and the BigQuery emulator passes the
    pattern through untranslated (docs/bigquery-emulator-gaps.md gap 19). Exact to 10^15. -#}
{% macro eros_integer_text(expression) -%}
    {%- set n = 'abs(cast(' ~ expression ~ ' as ' ~ dbt.type_bigint() ~ '))' -%}
    {%- set text = dbt.type_string() -%}
    {%- set groups = [] -%}
    {#- group k (0 = units): the k-th block of three digits, as a number -#}
    {%- for k in range(5) -%}
        {%- if k == 0 -%}
            {%- do groups.append('mod(' ~ n ~ ', 1000)') -%}
        {%- else -%}
            {%- do groups.append('mod(cast(floor(' ~ n ~ ' / 1e' ~ (3 * k) ~ ') as ' ~ dbt.type_bigint() ~ '), 1000)') -%}
        {%- endif -%}
    {%- endfor -%}
    case
        when {{ expression }} is null then cast(null as {{ text }})
        else concat(
            case when {{ expression }} < 0 then '-' else '' end,
            case
                {%- for top in range(4, 0, -1) %}
                when {{ n }} >= 1e{{ 3 * top }} then concat(
                    cast({{ groups[top] }} as {{ text }})
                    {%- for k in range(top - 1, -1, -1) -%}
                        , ',', lpad(cast({{ groups[k] }} as {{ text }}), 3, '0')
                    {%- endfor %}
                )
                {%- endfor %}
                else cast({{ n }} as {{ text }})
            end
        )
    end
{%- endmacro %}
