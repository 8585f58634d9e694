{#-
  Job bookkeeping inside dbt: `dbt build --selector <job>` alone does the whole job, on
  dbt Cloud as under `eros run <job>` (one dbt process), on a fresh warehouse as on an
  existing one.

  on-run-start: checks the job's source tables, creates any missing ops table
                (macros/automation/ops_tables.sql), closes rows of the same job left
                RUNNING by a killed run (FAILED, "abandoned: ..."), then inserts this run's
                RUNNING row. The lock_sweep job's row is written by the sweep node itself
                (model lock_sweep_run, macros/locks/).
  on-run-end:   decides the status from the node results and the warehouse, writes the
                final job row and the alerts of DOMAIN.md "Daily automation", records a
                failed sweep node, then evaluates the alert rules (evaluate_alert_rules at
                the wall clock; var eros_evaluate_alerts: false skips it, `eros run
                --no-alerts`).
  The job is the selector name (eros_job_names) or var eros_job.
-#}

{#- Selector -> etl_job_runs.job_name. One entry per job of jobs.yml (its dbt_steps name
    the selector); tests/python/test_plain_dbt_jobs.py checks that jobs.yml,
    selectors.yml, eros.jobs.JOBS and this map agree. -#}
{% macro eros_job_names() %}
    {{ return({
        'daily': 'daily_automation',
        'caption_performance': 'caption_performance',
        'lock_sweep': 'lock_sweep',
    }) }}
{% endmacro %}


{#- Source tables a job needs (names of the scheduler source); none = all of them. -#}
{% macro eros_job_sources(job) %}
    {% if job == 'lock_sweep' %}
        {{ return(['active_caption_assignments']) }}
    {% endif %}
    {{ return(none) }}
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


{#- One clock (issue 13): a run with an as_of instant (var as_of_timestamp or
    EROS_AS_OF_TIMESTAMP: `eros run --as-of`, `eros schedule run-due --now`) writes that
    instant as every time it records (job start and end, alert times, error and queue
    times, last_updated, the alert evaluation), so health judged at that instant sees the
    run; without one, the wall clock. Durations stay real elapsed seconds (eros_wall_now). -#}
{% macro eros_has_as_of() %}
    {{ return(eros_job_parameter('as_of_timestamp', 'EROS_AS_OF_TIMESTAMP') not in (none, '')) }}
{% endmacro %}


{% macro eros_wall_now() %}
    {{ return(modules.datetime.datetime.now(modules.pytz.utc).replace(tzinfo=none, microsecond=0)) }}
{% endmacro %}


{% macro eros_utc_now() %}
    {% if eros_has_as_of() %}
        {{ return(eros_as_of().replace(microsecond=0)) }}
    {% endif %}
    {{ return(eros_wall_now()) }}
{% endmacro %}


{% macro eros_run_started() %}
    {% if eros_has_as_of() %}
        {{ return(eros_as_of().replace(microsecond=0)) }}
    {% endif %}
    {{ return(run_started_at.replace(tzinfo=none, microsecond=0)) }}
{% endmacro %}


{% macro eros_on_run_start() %}
    {% if not execute or flags.WHICH not in ('build', 'run') %}
        {{ return('') }}
    {% endif %}
    {% set job = eros_current_job() %}
    {% if job %}
        {% do eros_assert_sources(job, eros_job_sources(job)) %}
    {% endif %}
    {% do eros_ensure_ops_tables() %}
    {% if not job or job == 'lock_sweep' %}
        {{ return('') }}
    {% endif %}
    {% do eros_start_job_row(job, invocation_id, eros_execution_date_sql()) %}
    {{ return('') }}
{% endmacro %}


{#- Close rows of `job` left RUNNING by a killed run, then insert job_id's RUNNING row
    (committed before the job's work starts). -#}
{% macro eros_start_job_row(job, job_id, execution_date_sql, abandoned_note='the run stopped before recording its end') %}
    {% set runs = eros_ops_relation('etl_job_runs') %}
    {% set now = eros_utc_now() %}
    {% set abandon_sql %}
        update {{ runs }}
        set
            job_status = 'FAILED',
            job_end_time = {{ eros_timestamp_literal(now) }},
            error_message = {{ eros_sql_string('abandoned: ' ~ abandoned_note ~ '; closed by job ' ~ job_id) }},
            job_duration_seconds = cast(greatest(0, {{ eros_seconds_between('job_start_time', eros_timestamp_literal(now)) }}) as {{ eros_type_float() }})
        where
            job_name = {{ eros_sql_string(job) }}
            and job_status = 'RUNNING'
            and job_id != {{ eros_sql_string(job_id) }}
    {% endset %}
    {% do run_query(abandon_sql) %}
    {% set start_sql %}
        insert into {{ runs }} (job_id, job_name, job_start_time, job_status, execution_date, creators_processed, creators_failed)
        select
            {{ eros_sql_string(job_id) }},
            {{ eros_sql_string(job) }},
            {{ eros_timestamp_literal(eros_run_started()) }},
            'RUNNING',
            {{ execution_date_sql }},
            0,
            0
        from (select 1 as one) as single_row
        where not exists (select 1 from {{ runs }} where job_id = {{ eros_sql_string(job_id) }})
    {% endset %}
    {% do run_query(start_sql) %}
    {% do eros_commit() %}
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
    {% elif job == 'lock_sweep' %}
        {% do eros_finish_lock_sweep_job(results) %}
    {% else %}
        {% do eros_finish_generic_job(job, results) %}
    {% endif %}
    {% if eros_lock_sweep_flag(var('eros_evaluate_alerts', true)) %}
        {% do eros_evaluate_after_job() %}
    {% endif %}
    {{ return('') }}
{% endmacro %}


{#- The alert rules at the run's clock (eros_utc_now: the as_of instant of a replay, else
    the wall clock), the same macro as `dbt run-operation evaluate_alert_rules`.
    Skipped with a log line when the alert_rules seed is not built (a selection without it). -#}
{% macro eros_evaluate_after_job() %}
    {% if eros_existing_relation(ref('alert_rules')) is none %}
        {% do log('eros: alert rules not evaluated: the alert_rules seed is not built (add it to the selection)', info=true) %}
        {{ return('') }}
    {% endif %}
    {% do evaluate_alert_rules(as_of=eros_utc_now().strftime('%Y-%m-%d %H:%M:%S')) %}
{% endmacro %}


{#- Failed nodes of the invocation as short strings, split by the circuit_breaker tag;
    the lock sweep node (model lock_sweep_run) apart: its failure is the sweep's, recorded
    by eros_finish_sweep_node, and does not fail the job that contains it. -#}
{% macro eros_failed_nodes(results) %}
    {% set breaker = [] %}
    {% set failures = [] %}
    {% set sweep = [] %}
    {% for result in results %}
        {% if (result.status | string) in ('error', 'fail', 'runtime error', 'skipped') and result.node.name == 'lock_sweep_run' and result.node.resource_type == 'model' %}
            {% do sweep.append(result) %}
        {% elif (result.status | string) in ('error', 'fail', 'runtime error') %}
            {% set text = result.node.name ~ ': ' ~ ((result.message or '') | string)[:300] %}
            {% if 'circuit_breaker' in result.node.tags %}
                {% do breaker.append(text) %}
            {% else %}
                {% do failures.append(text) %}
            {% endif %}
        {% endif %}
    {% endfor %}
    {{ return({'breaker': breaker, 'failures': failures, 'sweep': sweep}) }}
{% endmacro %}


{#- A sweep node that failed (or was skipped) is recorded as the sweep's FAILED job row, a
    CRITICAL lock_cleanup alert and, inside a daily job, the daily job's page-independent
    error row (eros_lock_sweep_record_failure). Returns true when it recorded a failure. -#}
{% macro eros_finish_sweep_node(results) %}
    {% set failed = eros_failed_nodes(results).sweep %}
    {% if not failed %}
        {{ return(false) }}
    {% endif %}
    {% set result = failed[0] %}
    {% set ids = eros_lock_sweep_job_ids() %}
    {% set text = ((result.message or '') | string) if (result.status | string) != 'skipped' else 'the sweep node was skipped (a node it depends on failed)' %}
    {% do eros_lock_sweep_record_failure(text or 'the lock sweep failed', job_id=ids.sweep_id, parent_job_id=ids.parent_job_id) %}
    {{ return(true) }}
{% endmacro %}


{#- The lock_sweep job: the sweep node wrote its job row and alerts; a failed sweep node
    is recorded here; any other failed node makes the job FAILED too. -#}
{% macro eros_finish_lock_sweep_job(results) %}
    {% set recorded = eros_finish_sweep_node(results) %}
    {% set failed = eros_failed_nodes(results) %}
    {% set problems = failed.breaker + failed.failures %}
    {% if problems and not recorded %}
        {% set message = 'dbt nodes failed: ' ~ (problems | join(' | ')) %}
        {% set ids = eros_lock_sweep_job_ids() %}
        {% set today = eros_lock_sweep_plan().today %}
        {% do eros_write_job_row('lock_sweep', 'FAILED', 0, 0, message, job_id=ids.sweep_id, execution_date=today) %}
        {% do eros_raise_alert('CRITICAL', 'lock_cleanup', 'Lock sweep FAILED: ' ~ message, job_id=ids.sweep_id) %}
    {% endif %}
{% endmacro %}


{% macro eros_finish_daily_job(results) %}
    {% set exec_sql = eros_execution_date_sql() %}
    {% set failed = eros_failed_nodes(results) %}
    {% set analysis = eros_existing_relation(ref('page_daily_analysis')) %}
    {% set errors = eros_existing_relation(eros_ops_relation('creator_processing_errors')) %}
    {% set active_pages = 0 %}
    {% if analysis is not none %}
        {% set active_pages = eros_scalar("select count(*) from " ~ analysis ~ " where execution_date = " ~ exec_sql ~ " and is_active and job_id = '" ~ invocation_id ~ "'") | int %}
    {% endif %}
    {% set failed_pages = 0 %}
    {% if errors is not none %}
        {% set failed_pages = eros_scalar("select count(*) from " ~ errors ~ " where job_id = '" ~ invocation_id ~ "' and page_name != '__lock_sweep__'") | int %}
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
    {#- the sweep that ends the daily job: its failure is recorded, the daily status stays -#}
    {% do eros_finish_sweep_node(results) %}
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
    {% do eros_ensure_ops_tables(['etl_job_runs']) %}
    {% set runs = eros_ops_relation('etl_job_runs') %}
    {% set job_id = job_id or invocation_id %}
    {% set started = started or eros_run_started() %}
    {% set ended = eros_utc_now() %}
    {% set exec_date = execution_date or eros_execution_date() %}
    {#- real elapsed seconds, also when the recorded times are a replay's as_of instant -#}
    {% if eros_has_as_of() %}
        {% set duration = (eros_wall_now() - run_started_at.replace(tzinfo=none, microsecond=0)).total_seconds() %}
    {% else %}
        {% set duration = (ended - started).total_seconds() %}
    {% endif %}
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
    {% do eros_commit() %}
    {% do eros_say(job ~ ' ' ~ exec_date ~ ' ' ~ status ~ ' in ' ~ eros_number(duration) ~ ' s'
        ~ ((': ' ~ eros_number(processed) ~ ' page(s) processed, ' ~ eros_number(failed) ~ ' failed') if job == 'daily_automation' else '')
        ~ ((' (' ~ message[:300] ~ ')') if message else '') ~ '; job id ' ~ job_id) %}
{% endmacro %}


{#- Append one alert row; the id is stable per (job, level, source) so a re-executed hook
    does not duplicate it. -#}
{% macro eros_raise_alert(level, source, message, job_id=none) %}
    {% do eros_ensure_ops_tables(['automation_alerts']) %}
    {% set alerts = eros_ops_relation('automation_alerts') %}
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
    {% do eros_commit() %}
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

