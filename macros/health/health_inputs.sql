{#-
  Inputs of the health checks (issue 6), shared by the int_health__* views (which carry the
  data tests) and by system_health_scorecard (which must not depend on those views: a
  failing error-severity test would make `dbt build` skip its children).

  Each input reads a table written by a job. A job that never ran has no table yet: then
  the input is an empty, typed select, and the checks report "never ran" instead of the
  build failing. Windows end at eros_as_of() (later rows are "in the future" of a
  simulated --as-of) and start var health_history_days (35) before it, so BigQuery prunes
  the day partitions of the job tables on constants.
-#}

{% macro eros_health_window_start() -%}
    {{ eros_as_of_plus_hours(-24 * (var('health_history_days', 35) | int)) }}
{%- endmacro %}


{% macro eros_health_input(name) %}
    {% set builders = {
        'job_runs': eros_health_job_runs,
        'alerts': eros_health_alerts,
        'lock_sweeps': eros_health_lock_sweeps,
        'active_locks': eros_health_active_locks,
        'caption_feedback': eros_health_caption_feedback,
        'caption_attribution': eros_health_caption_attribution,
        'page_errors': eros_health_page_errors,
        'source_loads': eros_health_source_loads,
    } %}
    {% if name not in builders %}
        {{ exceptions.raise_compiler_error('unknown health input ' ~ name) }}
    {% endif %}
    {{ return(builders[name]()) }}
{% endmacro %}




{% macro eros_health_job_runs() %}
    {% set runs = eros_health_relation('etl_job_runs') %}
    {% if runs is none %}
        {% set sql %}
    select
        cast(null as {{ dbt.type_string() }}) as job_id,
        cast(null as {{ dbt.type_string() }}) as job_name,
        cast(null as {{ dbt.type_timestamp() }}) as job_start_time,
        cast(null as {{ dbt.type_timestamp() }}) as job_end_time,
        cast(null as {{ dbt.type_string() }}) as job_status,
        cast(null as date) as execution_date,
        cast(null as {{ dbt.type_bigint() }}) as creators_processed,
        cast(null as {{ dbt.type_bigint() }}) as creators_failed,
        cast(null as {{ dbt.type_string() }}) as error_message,
        cast(null as {{ eros_type_float() }}) as job_duration_seconds
    from (select 1 as one) as no_table
    where 1 = 0
        {% endset %}
    {% else %}
        {% set sql %}
    select
        job_id,
        job_name,
        job_start_time,
        job_end_time,
        job_status,
        execution_date,
        creators_processed,
        creators_failed,
        error_message,
        job_duration_seconds
    from {{ runs }}
    where
        job_start_time >= {{ eros_health_window_start() }}
        and job_start_time <= {{ eros_as_of_sql() }}
        {% endset %}
    {% endif %}
    {{ return(sql) }}
{% endmacro %}


{% macro eros_health_alerts() %}
    {% set alerts = eros_health_relation('automation_alerts') %}
    {% if alerts is none %}
        {% set sql %}
    select
        cast(null as {{ dbt.type_string() }}) as alert_id,
        cast(null as {{ dbt.type_timestamp() }}) as alert_time,
        cast(null as {{ dbt.type_string() }}) as alert_level,
        cast(null as {{ dbt.type_string() }}) as alert_source,
        cast(null as {{ dbt.type_string() }}) as alert_message,
        cast(null as {{ dbt.type_string() }}) as job_id,
        cast(null as {{ dbt.type_boolean() }}) as acknowledged,
        cast(null as {{ dbt.type_timestamp() }}) as acknowledged_at
    from (select 1 as one) as no_table
    where 1 = 0
        {% endset %}
    {% else %}
        {% set sql %}
    select
        alert_id,
        alert_time,
        alert_level,
        alert_source,
        alert_message,
        job_id,
        coalesce(acknowledged, false) as acknowledged,
        acknowledged_at
    from {{ alerts }}
    where
        alert_time >= {{ eros_health_window_start() }}
        and alert_time <= {{ eros_as_of_sql() }}
        {% endset %}
    {% endif %}
    {{ return(sql) }}
{% endmacro %}


{% macro eros_health_lock_sweeps() %}
    {% set sweeps = eros_health_relation('lock_sweep_log') %}
    {% if sweeps is none %}
        {% set sql %}
    select
        cast(null as {{ dbt.type_string() }}) as sweep_id,
        cast(null as {{ dbt.type_timestamp() }}) as sweep_time,
        cast(null as {{ dbt.type_bigint() }}) as locks_expired_stale,
        cast(null as {{ dbt.type_bigint() }}) as locks_expired_past_date,
        cast(null as {{ dbt.type_bigint() }}) as total_locks_cleaned,
        cast(null as {{ eros_type_float() }}) as sweep_duration_seconds
    from (select 1 as one) as no_table
    where 1 = 0
        {% endset %}
    {% else %}
        {% set sql %}
    select
        sweep_id,
        sweep_time,
        locks_expired_stale,
        locks_expired_past_date,
        total_locks_cleaned,
        sweep_duration_seconds
    from {{ sweeps }}
    where
        sweep_time >= {{ eros_health_window_start() }}
        and sweep_time <= {{ eros_as_of_sql() }}
        {% endset %}
    {% endif %}
    {{ return(sql) }}
{% endmacro %}


{#- Active locks as they are now (the lock table has no history to rewind). -#}
{% macro eros_health_active_locks() %}
    {% set sql %}
    select
        assignment_key,
        page_name,
        caption_id,
        scheduled_send_date,
        assigned_at
    from {{ source('scheduler', 'active_caption_assignments') }}
    where is_active
    {% endset %}
    {{ return(sql) }}
{% endmacro %}


{#- Per page: when caption_bandit_stats last recomputed a row of it, and its newest send. -#}
{% macro eros_health_caption_feedback() %}
    {% set stats = eros_health_relation('caption_bandit_stats') %}
    {% if stats is none %}
        {% set sql %}
    select
        cast(null as {{ dbt.type_string() }}) as page_name,
        cast(null as {{ dbt.type_timestamp() }}) as last_updated,
        cast(null as {{ dbt.type_timestamp() }}) as last_used,
        cast(null as {{ dbt.type_bigint() }}) as captions
    from (select 1 as one) as no_table
    where 1 = 0
        {% endset %}
    {% else %}
        {% set sql %}
    select
        page_name,
        max(last_updated) as last_updated,
        max(last_used) as last_used,
        cast(count(*) as {{ dbt.type_bigint() }}) as captions
    from {{ stats }}
    where last_updated <= {{ eros_as_of_sql() }}
    group by page_name
        {% endset %}
    {% endif %}
    {{ return(sql) }}
{% endmacro %}


{#- Attribution counts of the last health_attribution_window_days LA days before the
    execution date (14: loads arrive up to 7 days late, so a 7-day window can be empty). -#}
{% macro eros_health_caption_attribution() %}
    {% set daily = eros_health_relation('caption_attribution_daily') %}
    {% if daily is none %}
        {% set sql %}
    select
        cast(null as {{ dbt.type_string() }}) as page_name,
        cast(null as date) as sending_date_la,
        cast(null as {{ dbt.type_bigint() }}) as ppv_messages,
        cast(null as {{ dbt.type_bigint() }}) as attributed_by_caption_id,
        cast(null as {{ dbt.type_bigint() }}) as attributed_by_text,
        cast(null as {{ dbt.type_bigint() }}) as unmatched_messages
    from (select 1 as one) as no_table
    where 1 = 0
        {% endset %}
    {% else %}
        {% set sql %}
    select
        page_name,
        sending_date_la,
        ppv_messages,
        attributed_by_caption_id,
        attributed_by_text,
        unmatched_messages
    from {{ daily }}
    where
        sending_date_la >= {{ eros_exec_date_plus(-1 * (var('health_attribution_window_days', 14) | int)) }}
        and sending_date_la < {{ eros_execution_date_sql() }}
        {% endset %}
    {% endif %}
    {{ return(sql) }}
{% endmacro %}


{% macro eros_health_page_errors() %}
    {% set errors = eros_health_relation('creator_processing_errors') %}
    {% if errors is none %}
        {% set sql %}
    select
        cast(null as {{ dbt.type_string() }}) as job_id,
        cast(null as {{ dbt.type_string() }}) as page_name,
        cast(null as date) as execution_date,
        cast(null as {{ dbt.type_string() }}) as error_message,
        cast(null as {{ dbt.type_timestamp() }}) as error_time
    from (select 1 as one) as no_table
    where 1 = 0
        {% endset %}
    {% else %}
        {% set sql %}
    select
        job_id,
        page_name,
        execution_date,
        error_message,
        error_time
    from {{ errors }}
    where
        error_time >= {{ eros_health_window_start() }}
        and error_time <= {{ eros_as_of_sql() }}
        {% endset %}
    {% endif %}
    {{ return(sql) }}
{% endmacro %}


{#- One row: when mass_messages was last loaded, how that was measured, and its newest
    sending_time (a second, weaker signal: rows arrive up to 7 days late). -#}
{% macro eros_health_source_loads() %}
    {% set messages = source('scheduler', 'mass_messages') %}
    {% set marker = eros_mass_messages_load_marker(messages, until=eros_as_of()) %}
    {% set sql %}
    select
        cast('mass_messages' as {{ dbt.type_string() }}) as table_name,
        cast(({{ marker.sql }}) as {{ dbt.type_timestamp() }}) as loaded_at,
        cast('{{ marker.method }}' as {{ dbt.type_string() }}) as load_marker,
        cast((
            select max(sending_time)
            from {{ messages }}
            where
                {{ eros_sending_time_window('sending_time', -1 * (var('health_history_days', 35) | int), 1) }}
                and sending_time <= {{ eros_as_of_sql() }}
        ) as {{ dbt.type_timestamp() }}) as newest_sending_time
    {% endset %}
    {{ return(sql) }}
{% endmacro %}
