{#-
  Job bookkeeping inside dbt, so `dbt build --selector daily` on dbt Cloud records the
  same job row and alerts as `eros run daily`.

  on-run-start: closes rows of the same job left RUNNING by a killed run (FAILED,
                "abandoned: ..."), then inserts this run's RUNNING row.
  on-run-end:   decides the status from the node results and the warehouse, writes the
                final job row and the alerts of DOMAIN.md "Daily automation".
  The job is the selector name (daily -> daily_automation, ...) or var eros_job.
-#}

{% macro eros_job_names() %}
    {{ return({
        'daily': 'daily_automation',
        'caption_performance': 'caption_performance',
    }) }}
{% endmacro %}


{% macro eros_current_job() %}
    {% set explicit = var('eros_job', '') %}
    {% if explicit %}
        {{ return(explicit) }}
    {% endif %}
    {% set selector = invocation_args_dict.get('selector') %}
    {% if selector is not string %}
        {% set selector = (selector or [none])[0] %}
    {% endif %}
    {{ return(eros_job_names().get(selector, '')) }}
{% endmacro %}


{% macro eros_utc_now() %}
    {{ return(modules.datetime.datetime.now(modules.pytz.utc).replace(tzinfo=none, microsecond=0)) }}
{% endmacro %}


{% macro eros_run_started() %}
    {{ return(run_started_at.replace(tzinfo=none, microsecond=0)) }}
{% endmacro %}


{% macro eros_on_run_start() %}
    {% if not execute or flags.WHICH not in ('build', 'run') %}
        {{ return('') }}
    {% endif %}
    {% set job = eros_current_job() %}
    {% if not job %}
        {{ return('') }}
    {% endif %}
    {% do eros_assert_sources(job) %}
    {% set runs = eros_model_relation('etl_job_runs') %}
    {% if runs is none %}
        {{ return('') }}
    {% endif %}
    {% set now = eros_utc_now() %}
    {% set abandon_sql %}
        update {{ runs }}
        set
            job_status = 'FAILED',
            job_end_time = {{ eros_timestamp_literal(now) }},
            error_message = {{ eros_sql_string('abandoned: the run stopped before recording its end; closed by job ' ~ invocation_id) }},
            job_duration_seconds = cast({{ eros_seconds_between('job_start_time', eros_timestamp_literal(now)) }} as {{ eros_type_float() }})
        where
            job_name = {{ eros_sql_string(job) }}
            and job_status = 'RUNNING'
            and job_id != '{{ invocation_id }}'
    {% endset %}
    {% do run_query(abandon_sql) %}
    {% set start_sql %}
        insert into {{ runs }} (job_id, job_name, job_start_time, job_status, execution_date, creators_processed, creators_failed)
        values (
            '{{ invocation_id }}',
            {{ eros_sql_string(job) }},
            {{ eros_timestamp_literal(eros_run_started()) }},
            'RUNNING',
            {{ eros_execution_date_sql() }},
            0,
            0
        )
    {% endset %}
    {% do run_query(start_sql) %}
    {% do adapter.commit() if target.type == 'duckdb' %}
    {{ return('') }}
{% endmacro %}


{#- Scalar from a one-row, one-column query; `default` when the relation is missing. -#}
{% macro eros_scalar(sql, default=0) %}
    {% set table = run_query(sql) %}
    {% if table is none or table.rows | length == 0 or table.rows[0][0] is none %}
        {{ return(default) }}
    {% endif %}
    {{ return(table.rows[0][0]) }}
{% endmacro %}


{% macro eros_on_run_end(results) %}
    {% if not execute or flags.WHICH not in ('build', 'run') %}
        {{ return('') }}
    {% endif %}
    {% set job = eros_current_job() %}
    {% if not job %}
        {{ return('') }}
    {% endif %}
    {% if job == 'daily_automation' %}
        {% do eros_finish_daily_job(results) %}
    {% elif job == 'caption_performance' %}
        {% do eros_finish_caption_job(results) %}
    {% else %}
        {% do eros_finish_generic_job(job, results) %}
    {% endif %}
    {{ return('') }}
{% endmacro %}


{#- Failed nodes of the invocation as short strings, split by the circuit_breaker tag. -#}
{% macro eros_failed_nodes(results) %}
    {% set breaker = [] %}
    {% set failures = [] %}
    {% for result in results %}
        {% if (result.status | string) in ('error', 'fail', 'runtime error') %}
            {% set text = result.node.name ~ ': ' ~ ((result.message or '') | string)[:300] %}
            {% if 'circuit_breaker' in result.node.tags %}
                {% do breaker.append(text) %}
            {% else %}
                {% do failures.append(text) %}
            {% endif %}
        {% endif %}
    {% endfor %}
    {{ return({'breaker': breaker, 'failures': failures}) }}
{% endmacro %}


{% macro eros_finish_daily_job(results) %}
    {% set exec_sql = eros_execution_date_sql() %}
    {% set failed = eros_failed_nodes(results) %}
    {% set analysis = eros_model_relation('page_daily_analysis') %}
    {% set errors = eros_model_relation('creator_processing_errors') %}
    {% set active_pages = 0 %}
    {% if analysis is not none %}
        {% set active_pages = eros_scalar("select count(*) from " ~ analysis ~ " where execution_date = " ~ exec_sql ~ " and is_active and job_id = '" ~ invocation_id ~ "'") | int %}
    {% endif %}
    {% set failed_pages = 0 %}
    {% if errors is not none %}
        {% set failed_pages = eros_scalar("select count(*) from " ~ errors ~ " where job_id = '" ~ invocation_id ~ "'") | int %}
    {% endif %}
    {% set threshold = var('circuit_breaker_failed_pages') | int %}
    {% set exec_text = eros_execution_date() | string %}

    {% if failed.breaker %}
        {% set status = 'FAILED' %}
        {% set message = 'circuit breaker tripped: ' ~ failed_pages ~ ' pages failed validation (threshold ' ~ threshold ~ '); nothing was queued' %}
    {% elif failed.failures %}
        {% set status = 'FAILED' %}
        {% set message = 'dbt nodes failed: ' ~ (failed.failures | join(' | ')) %}
    {% elif active_pages == 0 %}
        {% set status = 'COMPLETED_NO_WORK' %}
        {% set message = 'no active pages (no mass_messages row in the ' ~ var('active_window_days') ~ ' days before ' ~ exec_text ~ ')' %}
    {% elif failed_pages > 0 %}
        {% set status = 'COMPLETED_WITH_ERRORS' %}
        {% set message = failed_pages ~ ' of ' ~ active_pages ~ ' active pages failed validation (see creator_processing_errors)' %}
    {% else %}
        {% set status = 'SUCCESS' %}
        {% set message = none %}
    {% endif %}

    {% do eros_write_job_row('daily_automation', status, active_pages - failed_pages, failed_pages, message) %}

    {% if status == 'FAILED' %}
        {% do eros_raise_alert('CRITICAL', 'daily_automation', 'Daily automation FAILED for ' ~ exec_text ~ ': ' ~ message) %}
    {% elif status in ('COMPLETED_WITH_ERRORS', 'COMPLETED_NO_WORK') %}
        {% do eros_raise_alert('WARNING', 'daily_automation', 'Daily automation ' ~ status ~ ' for ' ~ exec_text ~ ': ' ~ message) %}
    {% elif var('alert_on_success', false) %}
        {% do eros_raise_alert('INFO', 'daily_automation', 'Daily automation succeeded for ' ~ exec_text) %}
    {% endif %}
{% endmacro %}


{% macro eros_finish_generic_job(job, results) %}
    {% set failed = eros_failed_nodes(results) %}
    {% set problems = failed.breaker + failed.failures %}
    {% if problems %}
        {% set status = 'FAILED' %}
        {% set message = 'dbt nodes failed: ' ~ (problems | join(' | ')) %}
    {% else %}
        {% set status = 'SUCCESS' %}
        {% set message = none %}
    {% endif %}
    {% do eros_write_job_row(job, status, 0, 0, message) %}
    {% if status == 'FAILED' %}
        {% do eros_raise_alert('CRITICAL', job, job ~ ' FAILED: ' ~ message) %}
    {% endif %}
{% endmacro %}


{#- Insert or complete this invocation's job row (merge on job_id). -#}
{% macro eros_write_job_row(job, status, processed, failed, message, job_id=none, started=none, execution_date=none) %}
    {% set runs = eros_model_relation('etl_job_runs') %}
    {% if runs is none %}
        {{ exceptions.raise_compiler_error('etl_job_runs does not exist: build it before recording a job') }}
    {% endif %}
    {% set job_id = job_id or invocation_id %}
    {% set started = started or eros_run_started() %}
    {% set ended = eros_utc_now() %}
    {% set exec_date = execution_date or eros_execution_date() %}
    {% set duration = (ended - started).total_seconds() %}
    {% set merge_sql %}
        merge into {{ runs }} as target
        using (
            select
                {{ eros_sql_string(job_id) }} as job_id,
                {{ eros_sql_string(job) }} as job_name,
                {{ eros_timestamp_literal(started) }} as job_start_time,
                {{ eros_timestamp_literal(ended) }} as job_end_time,
                {{ eros_sql_string(status) }} as job_status,
                {{ eros_date_literal(exec_date) }} as execution_date,
                {{ processed | int }} as creators_processed,
                {{ failed | int }} as creators_failed,
                cast({{ eros_sql_string(message[:2000] if message else none) }} as {{ dbt.type_string() }}) as error_message,
                cast({{ duration }} as {{ eros_type_float() }}) as job_duration_seconds
        ) as source
        on target.job_id = source.job_id
        when matched then update set
            job_end_time = source.job_end_time,
            job_status = source.job_status,
            creators_processed = source.creators_processed,
            creators_failed = source.creators_failed,
            error_message = source.error_message,
            job_duration_seconds = source.job_duration_seconds
        when not matched then insert (
            job_id, job_name, job_start_time, job_end_time, job_status, execution_date,
            creators_processed, creators_failed, error_message, job_duration_seconds
        ) values (
            source.job_id, source.job_name, source.job_start_time, source.job_end_time,
            source.job_status, source.execution_date, source.creators_processed,
            source.creators_failed, source.error_message, source.job_duration_seconds
        )
    {% endset %}
    {% do run_query(merge_sql) %}
    {% do adapter.commit() if target.type == 'duckdb' %}
{% endmacro %}


{#- Append one alert row; the id is stable per (job, level, source) so a re-executed hook
    does not duplicate it. -#}
{% macro eros_raise_alert(level, source, message, job_id=none) %}
    {% set alerts = eros_model_relation('automation_alerts') %}
    {% if alerts is none %}
        {{ exceptions.raise_compiler_error('automation_alerts does not exist: build it before raising alerts') }}
    {% endif %}
    {% set job_id = job_id or invocation_id %}
    {% set alert_id = local_md5(job_id ~ '|' ~ level ~ '|' ~ source ~ '|' ~ message) %}
    {% set insert_sql %}
        insert into {{ alerts }} (alert_id, alert_time, alert_level, alert_source, alert_message, job_id, acknowledged)
        select
            '{{ alert_id }}',
            {{ eros_timestamp_literal(eros_utc_now()) }},
            {{ eros_sql_string(level) }},
            {{ eros_sql_string(source) }},
            {{ eros_sql_string(message[:2000]) }},
            {{ eros_sql_string(job_id) }},
            false
        from (select 1 as one) as single_row
        where not exists (select 1 from {{ alerts }} where alert_id = '{{ alert_id }}')
    {% endset %}
    {% do run_query(insert_sql) %}
    {% do adapter.commit() if target.type == 'duckdb' %}
{% endmacro %}


{#- run-operation used by `eros run`: the job row, the alerts it raised and job-specific
    counts, as one JSON line (marker EROS_JSON). -#}
{% macro eros_report_job(job_id) %}
    {% set report = {'job': none, 'alerts': [], 'counts': {}} %}
    {% set runs = eros_model_relation('etl_job_runs') %}
    {% if runs is not none %}
        {% set table = run_query("select job_id, job_name, " ~ eros_timestamp_text('job_start_time') ~ " as job_start_time, " ~ eros_timestamp_text('job_end_time') ~ " as job_end_time, job_status, cast(execution_date as " ~ dbt.type_string() ~ ") as execution_date, creators_processed, creators_failed, error_message, job_duration_seconds from " ~ runs ~ " where job_id = " ~ eros_sql_string(job_id)) %}
        {% for row in table.rows %}
            {% do report.update({'job': eros_jsonable_row(table.column_names, row)}) %}
        {% endfor %}
    {% endif %}
    {% set alerts = eros_model_relation('automation_alerts') %}
    {% if alerts is not none %}
        {% set table = run_query("select alert_id, alert_level, alert_source, alert_message from " ~ alerts ~ " where job_id = " ~ eros_sql_string(job_id) ~ " order by alert_time") %}
        {% for row in table.rows %}
            {% do report.alerts.append(eros_jsonable_row(table.column_names, row)) %}
        {% endfor %}
    {% endif %}
    {% set job_name = (report.job or {}).get('job_name') %}
    {% if job_name == 'caption_performance' %}
        {% do report.counts.update(eros_caption_job_counts(job_id)) %}
    {% endif %}
    {% set analysis = eros_model_relation('page_daily_analysis') %}
    {% if analysis is not none and job_name != 'caption_performance' %}
        {% set table = run_query("select cast(count(*) as " ~ dbt.type_bigint() ~ ") as pages_analysed, cast(coalesce(sum(case when is_active then 1 else 0 end), 0) as " ~ dbt.type_bigint() ~ ") as pages_active, cast(coalesce(sum(case when needs_schedule then 1 else 0 end), 0) as " ~ dbt.type_bigint() ~ ") as pages_below_threshold from " ~ analysis ~ " where job_id = " ~ eros_sql_string(job_id)) %}
        {% do report.counts.update(eros_jsonable_row(table.column_names, table.rows[0])) %}
    {% endif %}
    {% set queue = eros_model_relation('schedule_generation_queue') %}
    {% if queue is not none and job_name != 'caption_performance' %}
        {% set table = run_query("select cast(coalesce(sum(case when queued_by_job_id = " ~ eros_sql_string(job_id) ~ " then 1 else 0 end), 0) as " ~ dbt.type_bigint() ~ ") as pages_queued, cast(count(*) as " ~ dbt.type_bigint() ~ ") as queue_rows_for_date, cast(coalesce(sum(case when status = 'PENDING' then 1 else 0 end), 0) as " ~ dbt.type_bigint() ~ ") as queue_pending_for_date from " ~ queue ~ " where execution_date = " ~ eros_execution_date_sql()) %}
        {% do report.counts.update(eros_jsonable_row(table.column_names, table.rows[0])) %}
    {% endif %}
    {% do log('EROS_JSON ' ~ tojson(report), info=true) %}
{% endmacro %}


{#- agate rows hold Decimals; turn a row into JSON-safe values (int when whole). -#}
{% macro eros_jsonable_row(column_names, row) %}
    {% set out = {} %}
    {% for name in column_names %}
        {% set value = row[loop.index0] %}
        {% if value is number and value is not boolean %}
            {% set value = (value | int) if (value | float) == (value | int) else (value | float) %}
        {% elif value is not none and value is not string and value is not boolean %}
            {% set value = value | string %}
        {% endif %}
        {% do out.update({name: value}) %}
    {% endfor %}
    {{ return(out) }}
{% endmacro %}
