{#- 64-bit float type: DuckDB's FLOAT is 32-bit, so dbt.type_float() is not used. -#}
{% macro eros_type_float() -%}
    {{ return(adapter.dispatch('eros_type_float', 'eros')()) }}
{%- endmacro %}

{% macro default__eros_type_float() -%}
    double
{%- endmacro %}

{% macro bigquery__eros_type_float() -%}
    float64
{%- endmacro %}
