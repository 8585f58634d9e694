{#-
  Business calendar helpers. All boundaries are computed once per invocation in Jinja
  and emitted as literals, so the compiled SQL is identical on every engine and BigQuery
  can prune partitions on constants.
-#}

{#- A job parameter (execution_date, as_of_timestamp) as text, '' when unset.
    Order: an explicit --vars value (plain dbt users, unit-test overrides), then the
    environment variable `env_name` (how `eros` passes them: eros/dbt_invoke.py), then ''.
    The environment is read at execution time only: a vars change forces dbt to re-parse
    the whole project, and an env_var() read while parsing would make dbt re-parse every
    file that read it whenever the value changes. At parse time (execute is false) the
    value only shapes SQL that is rendered again before it runs, so '' (today) is fine.
    Model configs are fixed at parse time: a config that needs a job parameter gets it at
    execution time (macros/utils/runtime_predicates.sql). -#}
{% macro eros_job_parameter(name, env_name) %}
    {% set explicit = var(name, '') %}
    {% if explicit not in (none, '') %}
        {{ return(explicit | string) }}
    {% endif %}
    {% if execute %}
        {{ return(env_var(env_name, '')) }}
    {% endif %}
    {{ return('') }}
{% endmacro %}


{#- Where a job parameter came from, for error messages: 'var <name>' or 'environment
    variable <env_name>' (the user must be told what they actually set). -#}
{% macro eros_job_parameter_origin(name, env_name) %}
    {% if var(name, '') not in (none, '') %}
        {{ return('var ' ~ name) }}
    {% endif %}
    {{ return('environment variable ' ~ env_name) }}
{% endmacro %}


{% macro eros_business_tz() %}
    {{ return(var('business_time_zone', 'America/Los_Angeles')) }}
{% endmacro %}


{#- The execution date of the run as a datetime.date: var execution_date (YYYY-MM-DD; or the
    EROS_EXECUTION_DATE environment variable, see eros_job_parameter), or today in the
    business time zone. Raises a compiler error naming the bad value. -#}
{% macro eros_execution_date() %}
    {% set raw = eros_job_parameter('execution_date', 'EROS_EXECUTION_DATE') %}
    {% if raw in (none, '') %}
        {% set now_local = modules.datetime.datetime.now(modules.pytz.timezone(eros_business_tz())) %}
        {{ return(now_local.date()) }}
    {% endif %}
    {% set text = raw | string %}
    {% set origin = eros_job_parameter_origin('execution_date', 'EROS_EXECUTION_DATE') %}
    {% if not modules.re.match('^\\d{4}-\\d{2}-\\d{2}$', text) %}
        {{ exceptions.raise_compiler_error(origin ~ " must be YYYY-MM-DD, got '" ~ text ~ "'") }}
    {% endif %}
    {% set parts = text.split('-') %}
    {% set y, m, d = parts[0] | int, parts[1] | int, parts[2] | int %}
    {% set last_day = 0 %}
    {% if m >= 1 and m <= 12 %}
        {% set last_day = (modules.datetime.date(y + (m // 12), (m % 12) + 1, 1) - modules.datetime.timedelta(days=1)).day %}
    {% endif %}
    {% if d < 1 or d > last_day %}
        {{ exceptions.raise_compiler_error(origin ~ " is not a calendar date: '" ~ text ~ "'") }}
    {% endif %}
    {{ return(modules.datetime.date(y, m, d)) }}
{% endmacro %}


{#- "Now" for validation rules, as a naive UTC datetime: var as_of_timestamp (or the
    EROS_AS_OF_TIMESTAMP environment variable, see eros_job_parameter), else the moment dbt
    started this invocation. -#}
{% macro eros_as_of() %}
    {% set raw = eros_job_parameter('as_of_timestamp', 'EROS_AS_OF_TIMESTAMP') %}
    {% if raw in (none, '') %}
        {{ return(run_started_at.replace(tzinfo=none, microsecond=0)) }}
    {% endif %}
    {% set text = (raw | string).replace('T', ' ').replace('Z', '').replace('+00:00', '') %}
    {% if modules.re.match('^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}$', text) %}
        {% set fmt = '%Y-%m-%d %H:%M:%S' %}
    {% elif modules.re.match('^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}$', text) %}
        {% set fmt = '%Y-%m-%d %H:%M' %}
    {% elif modules.re.match('^\\d{4}-\\d{2}-\\d{2}$', text) %}
        {% set fmt = '%Y-%m-%d' %}
    {% else %}
        {{ exceptions.raise_compiler_error(eros_job_parameter_origin('as_of_timestamp', 'EROS_AS_OF_TIMESTAMP') ~ " must be an ISO timestamp in UTC (YYYY-MM-DD HH:MM:SS), got '" ~ raw ~ "'") }}
    {% endif %}
    {% set parsed = modules.datetime.datetime.strptime(text, fmt) %}
    {{ return(parsed) }}
{% endmacro %}


{#- UTC instant (naive datetime) at which local midnight of `day` + offset_days falls. -#}
{% macro eros_local_midnight_utc(day, offset_days=0, tz=none) %}
    {% set zone = modules.pytz.timezone(tz or eros_business_tz()) %}
    {% set target_day = day + modules.datetime.timedelta(days=offset_days) %}
    {% set local_midnight = zone.localize(modules.datetime.datetime(target_day.year, target_day.month, target_day.day)) %}
    {{ return(local_midnight.astimezone(modules.pytz.utc).replace(tzinfo=none)) }}
{% endmacro %}


{#- SQL literals, valid on DuckDB and BigQuery alike. -#}
{% macro eros_timestamp_literal(value) -%}
    cast('{{ value.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp)
{%- endmacro %}

{% macro eros_date_literal(value) -%}
    cast('{{ value.strftime("%Y-%m-%d") }}' as date)
{%- endmacro %}


{#- Shorthands used by the models. -#}
{% macro eros_execution_date_sql() -%}
    {{ eros_date_literal(eros_execution_date()) }}
{%- endmacro %}

{% macro eros_as_of_sql() -%}
    {{ eros_timestamp_literal(eros_as_of()) }}
{%- endmacro %}


{#- Local calendar date of a UTC timestamp column. -#}
{% macro eros_to_local_date(column, tz=none) -%}
    {{ return(adapter.dispatch('eros_to_local_date', 'eros')(column, tz or eros_business_tz())) }}
{%- endmacro %}

{% macro default__eros_to_local_date(column, tz) -%}
    date({{ column }}, '{{ tz }}')
{%- endmacro %}

{% macro bigquery__eros_to_local_date(column, tz) -%}
    date({{ column }}, '{{ tz }}')
{%- endmacro %}

{% macro duckdb__eros_to_local_date(column, tz) -%}
    cast(timezone('{{ tz }}', cast({{ column }} as timestamptz)) as date)
{%- endmacro %}


{#- Whole seconds between two timestamps (end - start). -#}
{% macro eros_seconds_between(start_ts, end_ts) -%}
    {{ dbt.datediff(start_ts, end_ts, 'second') }}
{%- endmacro %}


{#- Date literal for execution_date + offset_days (business calendar). -#}
{% macro eros_exec_date_plus(offset_days) -%}
    {{ eros_date_literal(eros_execution_date() + modules.datetime.timedelta(days=offset_days)) }}
{%- endmacro %}


{#- Local calendar date of a UTC timestamp column known to lie in [lower, upper) (naive UTC
    datetimes). Same result as eros_to_local_date. On DuckDB a time-zone conversion per row
    costs about 1 CPU s per 6 million rows, so the offsets of the range are worked out here
    (local midnights between the bounds) and the SQL only subtracts a constant interval:
    one CASE branch per stretch of days with the same UTC offset, and a constant date for
    each day on which the offset changes (23 or 25 hours long). -#}
{% macro eros_to_local_date_bounded(column, lower, upper, tz=none) -%}
    {{ return(adapter.dispatch('eros_to_local_date_bounded', 'eros')(column, lower, upper, tz or eros_business_tz())) }}
{%- endmacro %}

{% macro default__eros_to_local_date_bounded(column, lower, upper, tz) -%}
    {{ eros_to_local_date(column, tz) }}
{%- endmacro %}

{% macro duckdb__eros_to_local_date_bounded(column, lower, upper, tz) -%}
    {%- set one_day = modules.datetime.timedelta(days=1) -%}
    {%- set first = lower.date() - one_day - one_day -%}
    {%- set count = (upper.date() - first).days + 3 -%}
    {%- set branches = [] -%}
    {%- set state = {'offset': none, 'end': none} -%}
    {%- for i in range(count) -%}
        {%- set day = first + modules.datetime.timedelta(days=i) -%}
        {%- set start = eros_local_midnight_utc(day, 0, tz) -%}
        {%- set stop = eros_local_midnight_utc(day, 1, tz) -%}
        {%- set offset = start - modules.datetime.datetime(day.year, day.month, day.day) -%}
        {%- set next_offset = stop - (modules.datetime.datetime(day.year, day.month, day.day) + one_day) -%}
        {%- if offset != next_offset -%}
            {#- the offset changes during this day: the day by its bounds -#}
            {%- if state.offset is not none -%}
                {%- do branches.append((state.end, state.offset, none)) -%}
            {%- endif -%}
            {%- do branches.append((stop, none, day)) -%}
            {%- do state.update({'offset': none, 'end': none}) -%}
        {%- else -%}
            {%- if state.offset is not none and state.offset != offset -%}
                {%- do branches.append((state.end, state.offset, none)) -%}
            {%- endif -%}
            {%- do state.update({'offset': offset, 'end': stop}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not branches -%}
        {#- no offset change in the window (e.g. a short mass_messages_max_history_days): one offset -#}
        {%- if state.offset is not none %}
        cast({{ column }} - interval '{{ (state.offset.total_seconds() | int) }} seconds' as date)
        {%- else %}
        cast(timezone('{{ tz }}', cast({{ column }} as timestamptz)) as date)
        {%- endif %}
    {%- else %}
    case
    {%- for end, offset, day in branches %}
        when {{ column }} < {{ eros_timestamp_literal(end) }} then
            {%- if day is none %} cast({{ column }} - interval '{{ (offset.total_seconds() | int) }} seconds' as date)
            {%- else %} {{ eros_date_literal(day) }}
            {%- endif %}
    {%- endfor %}
        {%- if state.offset is not none %}
        else cast({{ column }} - interval '{{ (state.offset.total_seconds() | int) }} seconds' as date)
        {%- else %}
        else cast(timezone('{{ tz }}', cast({{ column }} as timestamptz)) as date)
        {%- endif %}
    end
    {%- endif %}
{%- endmacro %}
