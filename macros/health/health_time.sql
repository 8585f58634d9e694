{#-
  Time helpers of the health checks (issue 6).

  Models and tests judge everything against eros_as_of() (var as_of_timestamp, default the
  run's start), emitted as literals, so `eros health --as-of` can simulate any moment and
  BigQuery prunes partitions on constants. Analyses are meant to be pasted into a
  dashboard: when var as_of_timestamp is empty they use the warehouse clock instead
  (eros_health_now()), so the pasted SQL stays current.
-#}

{#- "Now" for analyses: the as_of literal when var as_of_timestamp is set, else the
    warehouse's current UTC time as a naive timestamp. -#}
{% macro eros_health_now() -%}
    {%- if eros_job_parameter('as_of_timestamp', 'EROS_AS_OF_TIMESTAMP') not in (none, '') -%}
        {{ eros_as_of_sql() }}
    {%- else -%}
        {{ adapter.dispatch('eros_current_utc_timestamp', 'eros')() }}
    {%- endif -%}
{%- endmacro %}

{% macro default__eros_current_utc_timestamp() -%}
    current_timestamp
{%- endmacro %}

{% macro duckdb__eros_current_utc_timestamp() -%}
    cast(timezone('UTC', current_timestamp) as timestamp)
{%- endmacro %}

{% macro bigquery__eros_current_utc_timestamp() -%}
    current_timestamp()
{%- endmacro %}


{#- Timestamp expression + a whole number of hours (negative: earlier). dbt.dateadd is not
    used: on BigQuery it returns a DATETIME, which does not compare with TIMESTAMP columns. -#}
{% macro eros_timestamp_add_hours(timestamp_sql, hours) -%}
    {{ adapter.dispatch('eros_timestamp_add_hours', 'eros')(timestamp_sql, hours | int) }}
{%- endmacro %}

{% macro default__eros_timestamp_add_hours(timestamp_sql, hours) -%}
    ({{ timestamp_sql }} + interval '{{ hours }} hours')
{%- endmacro %}

{% macro bigquery__eros_timestamp_add_hours(timestamp_sql, hours) -%}
    timestamp_add({{ timestamp_sql }}, interval {{ hours }} hour)
{%- endmacro %}


{#- Date expression + a whole number of days, still a DATE on every engine. -#}
{% macro eros_date_add_days(date_sql, days) -%}
    {{ adapter.dispatch('eros_date_add_days', 'eros')(date_sql, days | int) }}
{%- endmacro %}

{% macro default__eros_date_add_days(date_sql, days) -%}
    cast({{ date_sql }} + interval '{{ days }} days' as date)
{%- endmacro %}

{% macro bigquery__eros_date_add_days(date_sql, days) -%}
    date_add({{ date_sql }}, interval {{ days }} day)
{%- endmacro %}


{#- Hours (float) from start_ts to end_ts. -#}
{% macro eros_hours_between(start_ts, end_ts) -%}
    cast({{ eros_seconds_between(start_ts, end_ts) }} as {{ eros_type_float() }}) / 3600.0
{%- endmacro %}
