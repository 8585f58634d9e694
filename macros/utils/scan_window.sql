{#-
  Bounded scan of mass_messages. BigQuery bills by partition scanned, so every read of the
  source filters sending_time between two constants:
    from: local midnight of (execution_date - mass_messages_max_history_days)
    to:   as_of + future_scan_days (rows later than as_of are quarantined as
          FUTURE_SENDING_TIME, so they must be in the scan to be seen; rows after this
          bound, and rows with a NULL sending_time, are read by stg_scheduler__mass_messages
          alone, to be quarantined).
  Consumers narrow it further with eros_sending_time_window(from_days, to_days).
-#}

{% macro eros_mass_messages_scan_bounds() %}
    {% set exec_date = eros_execution_date() %}
    {% set lower = eros_local_midnight_utc(exec_date, -1 * (var('mass_messages_max_history_days') | int)) %}
    {% set upper = eros_as_of() + modules.datetime.timedelta(days=var('future_scan_days') | int) %}
    {% if upper < eros_local_midnight_utc(exec_date, 1) %}
        {% set upper = eros_local_midnight_utc(exec_date, 1) %}
    {% endif %}
    {{ return({'lower': lower, 'upper': upper}) }}
{% endmacro %}


{#- A predicate bounding `column` to [local midnight of exec+from_days, local midnight of exec+to_days). -#}
{% macro eros_sending_time_window(column, from_days, to_days) -%}
    {%- set exec_date = eros_execution_date() -%}
    {{ column }} >= {{ eros_timestamp_literal(eros_local_midnight_utc(exec_date, from_days)) }}
    and {{ column }} < {{ eros_timestamp_literal(eros_local_midnight_utc(exec_date, to_days)) }}
{%- endmacro %}
