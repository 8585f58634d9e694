{#-
  The record of scheduled runs (`eros schedule run-due`, eros/scheduling/store.py), as one
  run-operation so it works the same on DuckDB and BigQuery and each step of the runner
  costs one dbt invocation. Timestamps arrive as 'YYYY-MM-DD HH:MM:SS' (UTC).

  dbt run-operation eros_schedule_sync --args '{finish: ..., abandon: [...], slots: [...], claim_first_new: [...], claim: ...}'
  does, in this order, whatever it is given:
    finish           {run_id, runner_id, status, finished, exit_code, job_id, job_status, message, alert}:
                     the outcome of an attempt (only its owner's row is updated), and an alert
                     row (source scheduler) when alert = {level, message} is given
    abandon          [{run_id, finished, message, alert}]: attempts whose runner died
                     (RUNNING past their timeout) become ABANDONED
    slots            [{job, slot}]: read the attempts of each (job, slot) and the newest recorded
                     slot per job (the state, read BEFORE any claim below)
    claim_first_new  [claim, ...] in priority order: claim attempt 1 of the first job whose slot
                     has no attempt at all, stopping at the first slot with an unfinished attempt
                     (a retry or a running attempt goes first); saves one dbt call per run-due call
    claim            {run_id, job, slot, attempt, runner_id, started, job_step, slot_local}: claim it
  and prints `EROS_JSON {"schedule_sync": {"exists", "alerts_exist", "attempts", "last_slots", "claim"}}`.

  A claim is a MERGE on run_id that inserts the row only when it is new; the matched branch
  rewrites nothing but makes the statement a mutating DML on BigQuery, where concurrent
  mutating DML on the same partition is serialized (a conflicting statement is re-run against
  the committed row); DuckDB allows one writer process at a time. The row is then read back:
  the claim is won when it is the only row of that run_id and holds this runner's id.
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


{% macro eros_schedule_alert(alert, run_id) %}
    {% if alert and eros_existing_relation(eros_ops_relation('automation_alerts')) is not none %}
        {% do eros_raise_alert(alert.level, 'scheduler', alert.message, job_id=run_id) %}
        {{ return(true) }}
    {% endif %}
    {{ return(false) }}
{% endmacro %}


{% macro eros_schedule_do_finish(runs, item) %}
    {% set update_sql %}
        update {{ runs }}
        set
            status = {{ eros_sql_string(item.status) }},
            finished_at = {{ eros_schedule_ts(item.finished) }},
            exit_code = cast({{ 'null' if item.exit_code is none else (item.exit_code | int) }} as {{ dbt.type_bigint() }}),
            job_id = cast({{ eros_sql_string(item.job_id) }} as {{ dbt.type_string() }}),
            job_status = cast({{ eros_sql_string(item.job_status) }} as {{ dbt.type_string() }}),
            message = cast({{ eros_sql_string(item.message[:2000] if item.message else none) }} as {{ dbt.type_string() }})
        where run_id = {{ eros_sql_string(item.run_id) }}
            and runner_id = {{ eros_sql_string(item.runner_id) }}
    {% endset %}
    {% do run_query(update_sql) %}
    {% do eros_commit() %}
    {% do eros_schedule_alert(item.alert, item.run_id) %}
{% endmacro %}


{% macro eros_schedule_do_abandon(runs, item) %}
    {% set update_sql %}
        update {{ runs }}
        set
            status = 'ABANDONED',
            finished_at = {{ eros_schedule_ts(item.finished) }},
            message = {{ eros_sql_string(item.message[:2000]) }}
        where run_id = {{ eros_sql_string(item.run_id) }}
            and status = 'RUNNING'
    {% endset %}
    {% do run_query(update_sql) %}
    {% do eros_commit() %}
    {% do eros_schedule_alert(item.alert, item.run_id) %}
{% endmacro %}


{% macro eros_schedule_do_claim(runs, item) %}
    {% set merge_sql %}
        merge into {{ runs }} as target
        using (
            select
                {{ eros_sql_string(item.run_id) }} as run_id,
                {{ eros_sql_string(item.job) }} as job,
                cast({{ eros_sql_string(item.job_step) }} as {{ dbt.type_string() }}) as job_step,
                {{ eros_schedule_ts(item.slot) }} as slot_time,
                cast({{ eros_sql_string(item.slot_local) }} as {{ dbt.type_string() }}) as slot_local,
                cast({{ item.attempt | int }} as {{ dbt.type_bigint() }}) as attempt,
                'RUNNING' as status,
                {{ eros_sql_string(item.runner_id) }} as runner_id,
                {{ eros_schedule_ts(item.started) }} as started_at
        ) as source
        on target.run_id = source.run_id
        when matched then update set runner_id = target.runner_id
        when not matched then insert (run_id, job, job_step, slot_time, slot_local, attempt, status, runner_id, started_at)
        values (source.run_id, source.job, source.job_step, source.slot_time, source.slot_local, source.attempt, source.status, source.runner_id, source.started_at)
    {% endset %}
    {% do run_query(merge_sql) %}
    {% do eros_commit() %}
    {% set rows = eros_schedule_rows('select ' ~ eros_schedule_columns() ~ ' from ' ~ runs ~ ' where run_id = ' ~ eros_sql_string(item.run_id) ~ ' order by started_at, runner_id') %}
    {% set owner = rows[0] if rows else none %}
    {{ return({
        'job': item.job,
        'run_id': item.run_id,
        'won': owner is not none and owner.runner_id == item.runner_id and rows | length == 1,
        'row': owner,
    }) }}
{% endmacro %}


{% macro eros_schedule_sync(finish=none, abandon=none, slots=none, claim_first_new=none, claim=none) %}
    {% set runs = eros_existing_relation(eros_ops_relation('scheduled_job_runs')) %}
    {% set writes = finish or abandon or claim_first_new or claim %}
    {% if runs is none and writes %}
        {{ exceptions.raise_compiler_error('EROS_SCHEDULE_NEEDS_BUILD: scheduled_job_runs does not exist') }}
    {% endif %}
    {% set out = {
        'exists': runs is not none,
        'alerts_exist': eros_existing_relation(eros_ops_relation('automation_alerts')) is not none,
        'attempts': [],
        'last_slots': {},
        'claim': none,
    } %}
    {% if finish %}
        {% do eros_schedule_do_finish(runs, finish) %}
    {% endif %}
    {% for item in abandon or [] %}
        {% do eros_schedule_do_abandon(runs, item) %}
    {% endfor %}
    {% if runs is not none and slots %}
        {% set conditions = [] %}
        {% set jobs = [] %}
        {% for item in slots %}
            {% do conditions.append('(job = ' ~ eros_sql_string(item.job) ~ ' and slot_time = ' ~ eros_schedule_ts(item.slot) ~ ')') %}
            {% do jobs.append(eros_sql_string(item.job)) %}
        {% endfor %}
        {% do out.update({'attempts': eros_schedule_rows(
            'select ' ~ eros_schedule_columns() ~ ' from ' ~ runs ~ ' where ' ~ (conditions | join(' or ')) ~ ' order by job, attempt'
        )}) %}
        {% for row in eros_schedule_rows('select job, max(slot_time) as last_slot from ' ~ runs ~ ' where job in (' ~ (jobs | join(', ')) ~ ') group by job') %}
            {% do out.last_slots.update({row.job: row.last_slot}) %}
        {% endfor %}
    {% endif %}
    {% if claim_first_new %}
        {% set chosen = [] %}
        {% for item in claim_first_new %}
            {% if not chosen %}
                {% set mine = out.attempts | selectattr('job', 'equalto', item.job) | list %}
                {% set unfinished = mine | rejectattr('status', 'in', ['SUCCEEDED', 'WARNING']) | list %}
                {% if not mine %}
                    {% do chosen.append(item) %}
                {% elif unfinished %}
                    {% do chosen.append(none) %}
                {% endif %}
            {% endif %}
        {% endfor %}
        {% if chosen and chosen[0] is not none %}
            {% do out.update({'claim': eros_schedule_do_claim(runs, chosen[0])}) %}
        {% endif %}
    {% endif %}
    {% if claim %}
        {% do out.update({'claim': eros_schedule_do_claim(runs, claim)}) %}
    {% endif %}
    {% do log('EROS_JSON ' ~ tojson({'schedule_sync': out}), info=true) %}
    {% do eros_say('schedule state read' ~ ('; claimed a run' if out.get('claim') else '')) %}
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
        {% do eros_commit() %}
        {% do result.update({'write_access': {'schema': target.schema, 'scratch_table': scratch.identifier, 'rows': probe.rows[0][0] | int}}) %}
    {% endif %}
    {% do log('EROS_JSON ' ~ tojson({'doctor': result}), info=true) %}
    {% do eros_say('doctor: ' ~ ('source tables and columns present' if not result.source_problems else eros_number(result.source_problems | length) ~ ' source problem(s)')
        ~ ('' if result.write_access is none else '; target schema ' ~ target.schema ~ ' is writable')) %}
{% endmacro %}
