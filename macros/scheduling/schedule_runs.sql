{#-
  The record of scheduled runs (`eros schedule run-due`, eros/scheduling/store.py), as
  run-operations so it works the same on DuckDB and BigQuery. Each prints one
  `EROS_JSON {...}` line. Timestamps arrive as 'YYYY-MM-DD HH:MM:SS' (UTC).

  eros_schedule_state(slots)   attempts of each (job, slot) asked for + newest recorded slot per job
  eros_schedule_claim(...)     atomic claim of (job, slot, attempt): MERGE on run_id, then read back
                               which runner owns the row (the winner)
  eros_schedule_finish(...)    the attempt's outcome (only by its owner) and an optional alert
  eros_schedule_abandon(...)   mark an attempt whose runner died (RUNNING past its timeout)
  eros_doctor_checks()         `eros doctor`: source problems + write access to the target schema
-#}

{% macro eros_schedule_ts(value) -%}
    {{ eros_timestamp_literal(modules.datetime.datetime.strptime(value, '%Y-%m-%d %H:%M:%S')) }}
{%- endmacro %}


{#- Rows of a query as JSON-ready dicts. -#}
{% macro eros_schedule_rows(sql) %}
    {% set table = run_query(sql) %}
    {% set rows = [] %}
    {% for row in table.rows %}
        {% do rows.append(eros_jsonable_row(table.column_names, row)) %}
    {% endfor %}
    {{ return(rows) }}
{% endmacro %}


{% macro eros_schedule_columns() -%}
    run_id, job, slot_time, attempt, status, runner_id, started_at, finished_at, exit_code, job_id, job_status, message
{%- endmacro %}


{#- slots: list of {job, slot} (slot 'YYYY-MM-DD HH:MM:SS' UTC). -#}
{% macro eros_schedule_state(slots) %}
    {% set runs = eros_model_relation('scheduled_job_runs') %}
    {% set state = {
        'exists': runs is not none,
        'alerts_exist': eros_model_relation('automation_alerts') is not none,
        'attempts': [],
        'last_slots': {},
    } %}
    {% if runs is not none and slots %}
        {% set conditions = [] %}
        {% set jobs = [] %}
        {% for item in slots %}
            {% do conditions.append('(job = ' ~ eros_sql_string(item.job) ~ ' and slot_time = ' ~ eros_schedule_ts(item.slot) ~ ')') %}
            {% do jobs.append(eros_sql_string(item.job)) %}
        {% endfor %}
        {% do state.update({'attempts': eros_schedule_rows(
            'select ' ~ eros_schedule_columns() ~ ' from ' ~ runs ~ ' where ' ~ (conditions | join(' or ')) ~ ' order by job, attempt'
        )}) %}
        {% for row in eros_schedule_rows('select job, max(slot_time) as last_slot from ' ~ runs ~ ' where job in (' ~ (jobs | join(', ')) ~ ') group by job') %}
            {% do state.last_slots.update({row.job: row.last_slot}) %}
        {% endfor %}
    {% endif %}
    {% do log('EROS_JSON ' ~ tojson({'schedule_state': state}), info=true) %}
{% endmacro %}


{#-
  Claim one attempt. The MERGE inserts the row only when run_id is new; the matched
  branch rewrites nothing, but makes the statement a mutating DML on BigQuery, where
  concurrent mutating DML on the same partition is serialized (a conflicting statement is
  re-run against the committed row). DuckDB allows one writer process at a time. The
  winner is whoever's runner_id the row holds afterwards.
-#}
{% macro eros_schedule_claim(run_id, job, slot, attempt, runner_id, started, job_step, slot_local) %}
    {% set runs = eros_model_relation('scheduled_job_runs') %}
    {% if runs is none %}
        {{ exceptions.raise_compiler_error('EROS_SCHEDULE_NEEDS_BUILD: scheduled_job_runs does not exist') }}
    {% endif %}
    {% set merge_sql %}
        merge into {{ runs }} as target
        using (
            select
                {{ eros_sql_string(run_id) }} as run_id,
                {{ eros_sql_string(job) }} as job,
                cast({{ eros_sql_string(job_step) }} as {{ dbt.type_string() }}) as job_step,
                {{ eros_schedule_ts(slot) }} as slot_time,
                cast({{ eros_sql_string(slot_local) }} as {{ dbt.type_string() }}) as slot_local,
                cast({{ attempt | int }} as {{ dbt.type_bigint() }}) as attempt,
                'RUNNING' as status,
                {{ eros_sql_string(runner_id) }} as runner_id,
                {{ eros_schedule_ts(started) }} as started_at
        ) as source
        on target.run_id = source.run_id
        when matched then update set runner_id = target.runner_id
        when not matched then insert (run_id, job, job_step, slot_time, slot_local, attempt, status, runner_id, started_at)
        values (source.run_id, source.job, source.job_step, source.slot_time, source.slot_local, source.attempt, source.status, source.runner_id, source.started_at)
    {% endset %}
    {% do run_query(merge_sql) %}
    {% do adapter.commit() if target.type == 'duckdb' %}
    {% set rows = eros_schedule_rows('select ' ~ eros_schedule_columns() ~ ' from ' ~ runs ~ ' where run_id = ' ~ eros_sql_string(run_id) ~ ' order by started_at, runner_id') %}
    {% set owner = rows[0] if rows else none %}
    {% do log('EROS_JSON ' ~ tojson({'schedule_claim': {
        'won': owner is not none and owner.runner_id == runner_id and rows | length == 1,
        'row': owner,
        'rows': rows | length,
    }}), info=true) %}
{% endmacro %}


{#- alert: none or {level, message}: raised in automation_alerts (source scheduler) when it exists. -#}
{% macro eros_schedule_finish(run_id, runner_id, status, finished, exit_code=none, job_id=none, job_status=none, message=none, alert=none) %}
    {% set runs = eros_model_relation('scheduled_job_runs') %}
    {% if runs is none %}
        {{ exceptions.raise_compiler_error('EROS_SCHEDULE_NEEDS_BUILD: scheduled_job_runs does not exist') }}
    {% endif %}
    {% set update_sql %}
        update {{ runs }}
        set
            status = {{ eros_sql_string(status) }},
            finished_at = {{ eros_schedule_ts(finished) }},
            exit_code = cast({{ 'null' if exit_code is none else (exit_code | int) }} as {{ dbt.type_bigint() }}),
            job_id = cast({{ eros_sql_string(job_id) }} as {{ dbt.type_string() }}),
            job_status = cast({{ eros_sql_string(job_status) }} as {{ dbt.type_string() }}),
            message = cast({{ eros_sql_string(message[:2000] if message else none) }} as {{ dbt.type_string() }})
        where run_id = {{ eros_sql_string(run_id) }}
            and runner_id = {{ eros_sql_string(runner_id) }}
    {% endset %}
    {% do run_query(update_sql) %}
    {% do adapter.commit() if target.type == 'duckdb' %}
    {% set raised = eros_schedule_alert(alert, run_id) %}
    {% do log('EROS_JSON ' ~ tojson({'schedule_finish': {'run_id': run_id, 'status': status, 'alert_raised': raised}}), info=true) %}
{% endmacro %}


{% macro eros_schedule_abandon(run_id, finished, message, alert=none) %}
    {% set runs = eros_model_relation('scheduled_job_runs') %}
    {% if runs is not none %}
        {% set update_sql %}
            update {{ runs }}
            set
                status = 'ABANDONED',
                finished_at = {{ eros_schedule_ts(finished) }},
                message = {{ eros_sql_string(message[:2000]) }}
            where run_id = {{ eros_sql_string(run_id) }}
                and status = 'RUNNING'
        {% endset %}
        {% do run_query(update_sql) %}
        {% do adapter.commit() if target.type == 'duckdb' %}
    {% endif %}
    {% set raised = eros_schedule_alert(alert, run_id) %}
    {% do log('EROS_JSON ' ~ tojson({'schedule_abandon': {'run_id': run_id, 'alert_raised': raised}}), info=true) %}
{% endmacro %}


{% macro eros_schedule_alert(alert, run_id) %}
    {% if alert and eros_model_relation('automation_alerts') is not none %}
        {% do eros_raise_alert(alert.level, 'scheduler', alert.message, job_id=run_id) %}
        {{ return(true) }}
    {% endif %}
    {{ return(false) }}
{% endmacro %}


{#-
  `eros doctor`: the source tables and columns the project reads, and write access to the
  target schema (create and drop a scratch table).
-#}
{% macro eros_doctor_checks(check_write=true) %}
    {% set sources = [] %}
    {% for node in graph.sources.values() %}
        {% if node.package_name == project_name and node.source_name == 'scheduler' and (node.name != 'page_settings' or var('eros_page_settings_enabled')) %}
            {% do sources.append({'database': node.database, 'schema': node.schema, 'identifier': node.identifier}) %}
        {% endif %}
    {% endfor %}
    {% set result = {
        'source_problems': eros_source_problems(),
        'sources': sources,
        'target': {'type': target.type, 'database': target.database, 'schema': target.schema},
        'write_access': none,
    } %}
    {% if check_write %}
        {% set scratch = api.Relation.create(
            database=target.database,
            schema=target.schema,
            identifier='eros_doctor_scratch_' ~ (invocation_id | replace('-', ''))[:12],
        ) %}
        {% do adapter.create_schema(scratch) %}
        {% do run_query('create table ' ~ scratch ~ ' as select 1 as probe') %}
        {% set probe = run_query('select count(*) from ' ~ scratch) %}
        {% do run_query('drop table ' ~ scratch) %}
        {% do adapter.commit() if target.type == 'duckdb' %}
        {% do result.update({'write_access': {'schema': target.schema, 'scratch_table': scratch.identifier, 'rows': probe.rows[0][0] | int}}) %}
    {% endif %}
    {% do log('EROS_JSON ' ~ tojson({'doctor': result}), info=true) %}
{% endmacro %}
