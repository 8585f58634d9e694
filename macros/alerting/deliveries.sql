{#-
  Timestamp helpers of the alerting macros (issue 7). `eros alerts send | list | ack` read
  and write automation_alerts / alert_deliveries without dbt (eros/notify.py,
  eros/alerts.py through eros/warehouse.py, issue 11); the rules are evaluated in dbt
  (evaluate_alert_rules.sql).
-#}


{#- 'YYYY-MM-DD HH:MM:SS' text of a UTC timestamp column, the same on every engine. -#}
{% macro eros_alerting_ts_text(column) -%}
    {{ return(adapter.dispatch('eros_alerting_ts_text', 'eros')(column)) }}
{%- endmacro %}

{% macro default__eros_alerting_ts_text(column) -%}
    strftime({{ column }}, '%Y-%m-%d %H:%M:%S')
{%- endmacro %}

{% macro bigquery__eros_alerting_ts_text(column) -%}
    format_timestamp('%Y-%m-%d %H:%M:%S', {{ column }}, 'UTC')
{%- endmacro %}


{#- Parse 'YYYY-MM-DD HH:MM:SS' (the CLI's format) into a naive datetime. -#}
{% macro eros_alerting_parse(text) %}
    {{ return(modules.datetime.datetime.strptime((text | string)[:19].replace('T', ' '), '%Y-%m-%d %H:%M:%S')) }}
{% endmacro %}
