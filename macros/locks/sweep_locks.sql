{#-
  Lock sweep (DOMAIN.md "Lock sweep", issue 5). The one place where this project changes a
  source table, so it is all-or-nothing:

      dbt run-operation sweep_locks --args '{as_of: "2026-03-08T08:30:00Z", dry_run: false}'

  Rules (one sweep at instant T, "today" D = the America/Los_Angeles date of T):
    PAST_SEND_DATE  active lock with scheduled_send_date < D.
    STALE_7DAY      active lock with assigned_at < T - lock_stale_after_days x 24 h (elapsed
                    time, so a DST switch inside the window changes nothing) whose send date
                    is D or later, or missing. When both apply PAST_SEND_DATE wins: the lock
                    reached its send date, which is the normal end of its life; STALE_7DAY
                    then counts only locks that would otherwise have stayed active.
    Locks with neither a send date nor assigned_at stay active (nothing to judge them by).
  Only active matching rows are touched (is_active = false, deactivated_at = T,
  deactivation_reason); nothing is deleted. The deactivations and the lock_sweep_log row are
  one transaction: on BigQuery one script `begin transaction; ...; commit transaction;`
  (an error rolls it back), on DuckDB the statements of dbt's transaction on the
  run-operation's connection, committed once at the end (an error rolls it back, and a
  run-operation's connection is rolled back when it closes uncommitted).

  The same sweep runs as a build node: model lock_sweep_run (materialization
  eros_lock_sweep, macros/locks/lock_sweep_materialization.sql), selected by the lock_sweep
  and daily selectors, so `dbt build --selector lock_sweep` alone is the hourly job and the
  daily build ends its day with a sweep (sweep job id `<daily job id>.sweep`,
  parent_job_id = the daily job id).

  Job bookkeeping: a RUNNING etl_job_runs row (job_name lock_sweep) is committed before the
  transaction and completed after it; alerts (source lock_cleanup) come after the commit.
  When the transaction fails, the node (or run-operation) fails and the RUNNING row stays:
  in a build the on-run-end hook then calls eros_lock_sweep_record_failure (FAILED row,
  CRITICAL alert, and the daily job's page-independent error row); a failed run-operation
  leaves it to the next sweep, which closes it as FAILED ("abandoned: ..."). The tables
  the sweep writes are created when missing (eros_ensure_ops_tables), so the
  run-operation works on a fresh warehouse too.
  A dry run reads only the source table and writes nothing at all (no job row, no log row).
-#}

{% macro sweep_locks(as_of=none, dry_run=false, parent_job_id=none) %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% if eros_lock_sweep_flag(dry_run) %}
        {% set plan = eros_lock_sweep_plan(as_of) %}
        {% do eros_lock_sweep_dry_run(eros_lock_sweep_source(), plan) %}
        {{ return('') }}
    {% endif %}
    {% set parent = (parent_job_id | string) if parent_job_id not in (none, '') else none %}
    {% set result = eros_lock_sweep_run(invocation_id, parent, as_of) %}
    {% do log('EROS_JSON ' ~ tojson({'lock_sweep': result}), info=true) %}
    {% do eros_say_lock_sweep(result) %}
{% endmacro %}


{#- Ids of the sweep of this invocation: inside the daily job `<daily job id>.sweep` with
    parent_job_id = the daily job id; otherwise the invocation id, no parent. -#}
{% macro eros_lock_sweep_job_ids() %}
    {% if eros_current_job() == 'daily_automation' %}
        {{ return({'sweep_id': invocation_id ~ '.sweep', 'parent_job_id': invocation_id}) }}
    {% endif %}
    {{ return({'sweep_id': invocation_id, 'parent_job_id': none}) }}
{% endmacro %}


{#- One sweep (the run-operation and the build node lock_sweep_run call it): its RUNNING
    job row (committed first), the transaction, the SUCCESS job row and the alerts.
    Returns the log row's counts plus sweep_id, parent_job_id, sweep_time, business_date,
    stale_cutoff and the alerts raised. A failure raises (the transaction is rolled back). -#}
{% macro eros_lock_sweep_run(sweep_id, parent_job_id=none, as_of=none) %}
    {% set started = eros_lock_sweep_clock() %}
    {% set plan = eros_lock_sweep_plan(as_of) %}
    {% set locks = eros_lock_sweep_source() %}
    {% set tables = eros_lock_sweep_tables() %}

    {% do eros_lock_sweep_start_job(tables.runs, sweep_id, plan) %}
    {% do eros_lock_sweep_transaction(locks, tables.log, plan, sweep_id, parent_job_id, started, eros_lock_sweep_flag(var('lock_sweep_inject_failure', false))) %}

    {% set result = eros_lock_sweep_read_log(tables.log, sweep_id) %}
    {% if result is none %}
        {{ exceptions.raise_compiler_error('lock sweep ' ~ sweep_id ~ ' committed but its lock_sweep_log row is missing') }}
    {% endif %}
    {% do eros_write_job_row('lock_sweep', 'SUCCESS', result.pages_affected, 0, none, job_id=sweep_id, execution_date=plan.today) %}
    {% set alerts = eros_lock_sweep_alerts(result, sweep_id) %}
    {% do result.update({
        'dry_run': false,
        'sweep_id': sweep_id,
        'parent_job_id': parent_job_id,
        'sweep_time': plan.sweep_time | string,
        'business_date': plan.today | string,
        'stale_cutoff': plan.stale_cutoff | string,
        'alerts': alerts,
    }) %}
    {{ return(result) }}
{% endmacro %}


{#- Rules of one sweep as Jinja values and SQL predicates (identical on every engine: the
    boundaries are literals). -#}
{% macro eros_lock_sweep_plan(as_of=none) %}
    {% if as_of in (none, '') %}
        {% set sweep_time = eros_as_of() %}
    {% else %}
        {% set sweep_time = eros_lock_sweep_parse_time(as_of) %}
    {% endif %}
    {% set sweep_time = sweep_time.replace(microsecond=0) %}
    {% set zone = modules.pytz.timezone(eros_business_tz()) %}
    {% set today = modules.pytz.utc.localize(sweep_time).astimezone(zone).date() %}
    {% set stale_days = var('lock_stale_after_days') | int %}
    {% if stale_days < 1 %}
        {{ exceptions.raise_compiler_error('var lock_stale_after_days must be a positive number of days, got ' ~ var('lock_stale_after_days')) }}
    {% endif %}
    {% set stale_cutoff = sweep_time - modules.datetime.timedelta(days=stale_days) %}
    {% set today_sql = eros_date_literal(today) %}
    {% set past_sql = 'scheduled_send_date < ' ~ today_sql %}
    {% set stale_sql = '(scheduled_send_date is null or scheduled_send_date >= ' ~ today_sql ~ ') and assigned_at < ' ~ eros_timestamp_literal(stale_cutoff) %}
    {{ return({
        'sweep_time': sweep_time,
        'today': today,
        'stale_cutoff': stale_cutoff,
        'past_sql': past_sql,
        'stale_sql': stale_sql,
    }) }}
{% endmacro %}


{#- An ISO timestamp (naive = UTC, or with an offset / Z) as a naive UTC datetime. -#}
{% macro eros_lock_sweep_parse_time(value) %}
    {% set text = (value | string) | trim %}
    {% set pattern = '^(\\d{4})-(\\d{2})-(\\d{2})([T ](\\d{2}):(\\d{2})(:(\\d{2})(\\.\\d+)?)?)?(Z|[+-]\\d{2}:?\\d{2})?$' %}
    {% set match = modules.re.match(pattern, text) %}
    {% if not match %}
        {{ exceptions.raise_compiler_error("as_of must be an ISO timestamp (UTC unless it carries an offset), e.g. 2026-03-08T00:30:00-08:00; got '" ~ text ~ "'") }}
    {% endif %}
    {% set month, day = match.group(2) | int, match.group(3) | int %}
    {% set hour, minute = (match.group(5) or 0) | int, (match.group(6) or 0) | int %}
    {% if month < 1 or month > 12 or day < 1 or day > 31 or hour > 23 or minute > 59 %}
        {{ exceptions.raise_compiler_error("as_of is not a valid timestamp: '" ~ text ~ "'") }}
    {% endif %}
    {% set parsed = modules.datetime.datetime.fromisoformat(text.replace('Z', '+00:00')) %}
    {% if parsed.tzinfo is not none %}
        {% set parsed = parsed.astimezone(modules.pytz.utc).replace(tzinfo=none) %}
    {% endif %}
    {{ return(parsed) }}
{% endmacro %}


{% macro eros_lock_sweep_flag(value) %}
    {{ return(value in (true, 1, 'true', 'True', 'TRUE', '1', 'yes')) }}
{% endmacro %}


{#- Wall clock with sub-second precision (naive UTC), for sweep_duration_seconds. -#}
{% macro eros_lock_sweep_clock() %}
    {{ return(modules.datetime.datetime.now(modules.pytz.utc).replace(tzinfo=none)) }}
{% endmacro %}


{#- The source table, checked: exists and has the columns the sweep reads and writes.
    Raises EROS_SOURCE_MISSING (the CLI maps it to a one-line usage error). -#}
{% macro eros_lock_sweep_source() %}
    {% set declared = source('scheduler', 'active_caption_assignments') %}
    {% set relation = eros_existing_relation(declared) %}
    {% if relation is none %}
        {{ exceptions.raise_compiler_error('EROS_SOURCE_MISSING: source table ' ~ declared.schema ~ '.' ~ declared.identifier ~ ' does not exist (set EROS_SOURCE_SCHEMA / EROS_SOURCE_DATABASE, or run `eros generate`)') }}
    {% endif %}
    {% set present = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list %}
    {% set absent = [] %}
    {% for column in ['page_name', 'scheduled_send_date', 'is_active', 'assigned_at', 'deactivated_at', 'deactivation_reason'] %}
        {% if column not in present %}
            {% do absent.append(column) %}
        {% endif %}
    {% endfor %}
    {% if absent %}
        {{ exceptions.raise_compiler_error('EROS_SOURCE_MISSING: ' ~ declared.schema ~ '.' ~ declared.identifier ~ ' lacks ' ~ (absent | join(', '))) }}
    {% endif %}
    {{ return(relation) }}
{% endmacro %}


{#- The tables the sweep writes, created when missing (macros/automation/ops_tables.sql).
    Raises EROS_SWEEP_NEEDS_BUILD when lock_sweep_log lacks a column of its spec (an older
    table: `dbt build --selector lock_sweep` adds it). -#}
{% macro eros_lock_sweep_tables() %}
    {% do eros_ensure_ops_tables(['lock_sweep_log', 'etl_job_runs', 'automation_alerts']) %}
    {% set log_relation = eros_ops_relation('lock_sweep_log') %}
    {% set present = adapter.get_columns_in_relation(log_relation) | map(attribute='name') | map('lower') | list %}
    {% set missing = [] %}
    {% for column in eros_ops_table('lock_sweep_log').columns %}
        {% if column[0] not in present %}
            {% do missing.append('lock_sweep_log.' ~ column[0]) %}
        {% endif %}
    {% endfor %}
    {% if missing %}
        {{ exceptions.raise_compiler_error('EROS_SWEEP_NEEDS_BUILD: ' ~ (missing | join(', ')) ~ ' not built: run `dbt build --selector lock_sweep` first') }}
    {% endif %}
    {{ return({'log': log_relation, 'runs': eros_ops_relation('etl_job_runs'), 'alerts': eros_ops_relation('automation_alerts')}) }}
{% endmacro %}


{#- Counts of what the sweep deactivates, by reason, over the active locks (one row). -#}
{% macro eros_lock_sweep_counts_sql(locks, plan) -%}
    select
        cast(coalesce(sum(case when {{ plan.stale_sql }} then 1 else 0 end), 0) as {{ dbt.type_bigint() }}) as locks_expired_stale,
        cast(coalesce(sum(case when {{ plan.past_sql }} then 1 else 0 end), 0) as {{ dbt.type_bigint() }}) as locks_expired_past_date,
        cast(count(distinct case when ({{ plan.past_sql }}) or ({{ plan.stale_sql }}) then page_name end) as {{ dbt.type_bigint() }}) as pages_affected,
        cast(count(*) as {{ dbt.type_bigint() }}) as active_locks_before
    from {{ locks }}
    where is_active = true
{%- endmacro %}


{#- The statements of the transaction, in order. The counts are taken in the transaction's
    snapshot before the update, so they are exactly the rows it changes. -#}
{% macro eros_lock_sweep_snapshot_sql(locks, plan) -%}
    create temp table eros_lock_sweep_counts as
    {{ eros_lock_sweep_counts_sql(locks, plan) }}
{%- endmacro %}

{% macro eros_lock_sweep_update_sql(locks, plan) -%}
    update {{ locks }}
    set
        is_active = false,
        deactivated_at = {{ eros_timestamp_literal(plan.sweep_time) }},
        deactivation_reason = case when {{ plan.past_sql }} then 'PAST_SEND_DATE' else 'STALE_7DAY' end
    where
        is_active = true
        and (({{ plan.past_sql }}) or ({{ plan.stale_sql }}))
{%- endmacro %}

{#- Test hook (var lock_sweep_inject_failure): fails inside the transaction, after the
    update and before the log insert. -#}
{% macro eros_lock_sweep_failure_sql() -%}
    select error('EROS_INJECTED_FAILURE: lock_sweep_inject_failure is set (between the update and the log insert)')
{%- endmacro %}

{% macro eros_lock_sweep_log_insert_sql(log, plan, sweep_id, parent_job_id, duration_seconds) -%}
    insert into {{ log }} (
        sweep_id, sweep_time, business_date, locks_expired_stale, locks_expired_past_date,
        total_locks_cleaned, sweep_duration_seconds, active_locks_after, pages_affected, parent_job_id
    )
    select
        {{ eros_sql_string(sweep_id) }},
        {{ eros_timestamp_literal(plan.sweep_time) }},
        {{ eros_date_literal(plan.today) }},
        locks_expired_stale,
        locks_expired_past_date,
        locks_expired_stale + locks_expired_past_date,
        cast({{ '%.3f' | format(duration_seconds) }} as {{ eros_type_float() }}),
        active_locks_before - (locks_expired_stale + locks_expired_past_date),
        pages_affected,
        cast({{ eros_sql_string(parent_job_id) }} as {{ dbt.type_string() }})
    from eros_lock_sweep_counts
{%- endmacro %}


{#- The transaction, per engine. -#}
{% macro eros_lock_sweep_transaction(locks, log, plan, sweep_id, parent_job_id, started, inject_failure) %}
    {{ return(adapter.dispatch('eros_lock_sweep_transaction', 'eros')(locks, log, plan, sweep_id, parent_job_id, started, inject_failure)) }}
{% endmacro %}

{#- Adapters with dbt-managed transactions: the first statement opens dbt's transaction
    (auto_begin), adapter.commit() ends it; an error rolls it back. -#}
{% macro default__eros_lock_sweep_transaction(locks, log, plan, sweep_id, parent_job_id, started, inject_failure) %}
    {% do run_query(eros_lock_sweep_snapshot_sql(locks, plan)) %}
    {% do run_query(eros_lock_sweep_update_sql(locks, plan)) %}
    {% if inject_failure %}
        {% do run_query(eros_lock_sweep_failure_sql()) %}
    {% endif %}
    {% set duration = (eros_lock_sweep_clock() - started).total_seconds() %}
    {% do run_query(eros_lock_sweep_log_insert_sql(log, plan, sweep_id, parent_job_id, duration)) %}
    {% do run_query('drop table eros_lock_sweep_counts') %}
    {% do adapter.commit() %}
{% endmacro %}

{#- DuckDB: end whatever transaction dbt's metadata queries left open, then open one
    explicitly (works even with disable_transactions), run the statements, commit once.
    A failing statement raises; dbt-duckdb rolls the transaction back. -#}
{% macro duckdb__eros_lock_sweep_transaction(locks, log, plan, sweep_id, parent_job_id, started, inject_failure) %}
    {% do adapter.ensure_transaction() %}
    {% do adapter.commit() %}
    {% do adapter.ensure_transaction() %}
    {% do run_query(eros_lock_sweep_snapshot_sql(locks, plan)) %}
    {% do run_query(eros_lock_sweep_update_sql(locks, plan)) %}
    {% if inject_failure %}
        {% do run_query(eros_lock_sweep_failure_sql()) %}
    {% endif %}
    {% set duration = (eros_lock_sweep_clock() - started).total_seconds() %}
    {% do run_query(eros_lock_sweep_log_insert_sql(log, plan, sweep_id, parent_job_id, duration)) %}
    {% do run_query('drop table eros_lock_sweep_counts') %}
    {% do adapter.commit() %}
{% endmacro %}

{#- BigQuery: one multi-statement query. Without an exception handler, an error inside
    the transaction fails the query and BigQuery rolls the transaction back. BigQuery
    freezes CURRENT_TIMESTAMP inside a transaction, so the duration is measured in Jinja
    up to the submission of the script. -#}
{% macro bigquery__eros_lock_sweep_transaction(locks, log, plan, sweep_id, parent_job_id, started, inject_failure) %}
    {% set duration = (eros_lock_sweep_clock() - started).total_seconds() %}
    {% set script %}
        begin transaction;
        {{ eros_lock_sweep_snapshot_sql(locks, plan) }};
        {{ eros_lock_sweep_update_sql(locks, plan) }};
        {% if inject_failure %}
        {{ eros_lock_sweep_failure_sql() }};
        {% endif %}
        {{ eros_lock_sweep_log_insert_sql(log, plan, sweep_id, parent_job_id, duration) }};
        drop table eros_lock_sweep_counts;
        commit transaction;
    {% endset %}
    {% do run_query(script) %}
{% endmacro %}


{#- Close lock_sweep rows left RUNNING by a killed or failed sweep, then record this
    sweep as RUNNING; committed before the sweep's transaction starts. -#}
{% macro eros_lock_sweep_start_job(runs, sweep_id, plan) %}
    {% do eros_start_job_row('lock_sweep', sweep_id, eros_date_literal(plan.today),
        abandoned_note='the sweep stopped before recording its end (its transaction was rolled back, no lock changed)') %}
{% endmacro %}


{#- The committed log row of a sweep as a dict of ints/floats, or none. -#}
{% macro eros_lock_sweep_read_log(log, sweep_id) %}
    {% set table = run_query(
        'select locks_expired_stale, locks_expired_past_date, total_locks_cleaned, active_locks_after, pages_affected, sweep_duration_seconds from '
        ~ log ~ ' where sweep_id = ' ~ eros_sql_string(sweep_id)
    ) %}
    {% if table.rows | length == 0 %}
        {{ return(none) }}
    {% endif %}
    {{ return(eros_jsonable_row(table.column_names, table.rows[0])) }}
{% endmacro %}


{#- Alerts of DOMAIN.md "Lock sweep" (thresholds are vars); returns [{level, message}]. -#}
{% macro eros_lock_sweep_alerts(result, sweep_id) %}
    {% set raised = [] %}
    {% set cleaned_warning = var('lock_sweep_cleaned_warning') | int %}
    {% set active_warning = var('lock_sweep_active_warning') | int %}
    {% set active_critical = var('lock_sweep_active_critical') | int %}
    {% if result.total_locks_cleaned > cleaned_warning %}
        {% do raised.append({'level': 'WARNING', 'message': 'Lock sweep cleaned ' ~ '{:,}'.format(result.total_locks_cleaned) ~ ' locks in one sweep (more than ' ~ '{:,}'.format(cleaned_warning) ~ '): ' ~ '{:,}'.format(result.locks_expired_past_date) ~ ' PAST_SEND_DATE, ' ~ '{:,}'.format(result.locks_expired_stale) ~ ' STALE_7DAY'}) %}
    {% endif %}
    {% if result.active_locks_after > active_critical %}
        {% do raised.append({'level': 'CRITICAL', 'message': '{:,}'.format(result.active_locks_after) ~ ' active locks after the lock sweep (more than ' ~ '{:,}'.format(active_critical) ~ ')'}) %}
    {% elif result.active_locks_after > active_warning %}
        {% do raised.append({'level': 'WARNING', 'message': '{:,}'.format(result.active_locks_after) ~ ' active locks after the lock sweep (more than ' ~ '{:,}'.format(active_warning) ~ ')'}) %}
    {% endif %}
    {% for alert in raised %}
        {% do eros_raise_alert(alert.level, 'lock_cleanup', alert.message, job_id=sweep_id) %}
    {% endfor %}
    {{ return(raised) }}
{% endmacro %}


{#- Dry run: what the sweep would deactivate now, by reason and by page; writes nothing. -#}
{% macro eros_lock_sweep_dry_run(locks, plan) %}
    {% set totals = run_query(eros_lock_sweep_counts_sql(locks, plan)) %}
    {% set result = eros_jsonable_row(totals.column_names, totals.rows[0]) %}
    {% set by_page_sql %}
        select
            page_name,
            cast(coalesce(sum(case when {{ plan.past_sql }} then 1 else 0 end), 0) as {{ dbt.type_bigint() }}) as locks_expired_past_date,
            cast(coalesce(sum(case when {{ plan.stale_sql }} then 1 else 0 end), 0) as {{ dbt.type_bigint() }}) as locks_expired_stale
        from {{ locks }}
        where
            is_active = true
            and (({{ plan.past_sql }}) or ({{ plan.stale_sql }}))
        group by page_name
        order by page_name
    {% endset %}
    {% set pages = run_query(by_page_sql) %}
    {% set by_page = [] %}
    {% for row in pages.rows %}
        {% do by_page.append(eros_jsonable_row(pages.column_names, row)) %}
    {% endfor %}
    {% set cleaned = result.locks_expired_stale + result.locks_expired_past_date %}
    {% do result.update({
        'dry_run': true,
        'total_locks_cleaned': cleaned,
        'active_locks_after': result.active_locks_before - cleaned,
        'sweep_time': plan.sweep_time | string,
        'business_date': plan.today | string,
        'stale_cutoff': plan.stale_cutoff | string,
        'by_page': by_page,
    }) %}
    {% do log('EROS_JSON ' ~ tojson({'lock_sweep': result}), info=true) %}
    {% do eros_say_lock_sweep(result) %}
{% endmacro %}


{#-
  run-operation used by `eros` after a sweep's run-operation failed (the macro itself cannot
  catch the error): completes the sweep's job row as FAILED (inserting it when the sweep
  failed before recording itself; job_id defaults to this invocation), raises a CRITICAL
  lock_cleanup alert and, when the sweep ended a daily job (parent_job_id), records the
  page-independent error row (page_name '__lock_sweep__') in creator_processing_errors for
  that job. The daily job's own row and status are left as they are.
-#}
{% macro eros_lock_sweep_record_failure(message, job_id=none, parent_job_id=none, as_of=none) %}
    {% set job_id = job_id or invocation_id %}
    {% set plan = eros_lock_sweep_plan(as_of) %}
    {% do eros_ensure_ops_tables(['lock_sweep_log', 'etl_job_runs', 'automation_alerts', 'creator_processing_errors']) %}
    {% set runs = eros_ops_relation('etl_job_runs') %}
    {% set committed = eros_lock_sweep_read_log(eros_ops_relation('lock_sweep_log'), job_id) %}
    {% set text = (message or 'the sweep run-operation failed') | string %}
    {% if committed is none %}
        {% set text = text ~ ' (nothing was changed: the sweep is all-or-nothing)' %}
    {% else %}
        {% set text = text ~ ' (after its transaction committed: ' ~ committed.total_locks_cleaned ~ ' locks cleaned)' %}
    {% endif %}
    {% set started_table = run_query('select cast(job_start_time as ' ~ dbt.type_string() ~ ') from ' ~ runs ~ ' where job_id = ' ~ eros_sql_string(job_id)) %}
    {% set started = none %}
    {% if started_table.rows | length > 0 and started_table.rows[0][0] %}
        {% set started = modules.datetime.datetime.strptime((started_table.rows[0][0] | string)[:19], '%Y-%m-%d %H:%M:%S') %}
    {% endif %}
    {% do eros_write_job_row('lock_sweep', 'FAILED', 0, 0, 'lock sweep failed: ' ~ text, job_id=job_id, started=started, execution_date=plan.today) %}
    {% do eros_raise_alert('CRITICAL', 'lock_cleanup', 'Lock sweep FAILED: ' ~ text, job_id=job_id) %}
    {% set parent_recorded = false %}
    {% if parent_job_id not in (none, '') %}
        {% set errors = eros_ops_relation('creator_processing_errors') %}
        {% set parent_date = eros_scalar('select cast(execution_date as ' ~ dbt.type_string() ~ ') from ' ~ runs ~ ' where job_id = ' ~ eros_sql_string(parent_job_id), default=none) %}
        {% set parent_date_sql = ('cast(' ~ eros_sql_string(parent_date | string) ~ ' as date)') if parent_date else eros_date_literal(plan.today) %}
        {% set error_sql %}
            insert into {{ errors }} (job_id, page_name, execution_date, error_message, error_time)
            select
                {{ eros_sql_string(parent_job_id) }},
                '__lock_sweep__',
                {{ parent_date_sql }},
                {{ eros_sql_string(('LOCK_SWEEP_FAILED: sweep ' ~ job_id ~ ': ' ~ text)[:2000]) }},
                {{ eros_timestamp_literal(eros_utc_now()) }}
            from (select 1 as one) as single_row
            where not exists (
                select 1 from {{ errors }}
                where job_id = {{ eros_sql_string(parent_job_id) }} and page_name = '__lock_sweep__'
            )
        {% endset %}
        {% do run_query(error_sql) %}
        {% do eros_commit() %}
        {% set parent_recorded = true %}
    {% endif %}
    {% do log('EROS_JSON ' ~ tojson({'lock_sweep_failure': {
        'job_id': job_id,
        'parent_job_id': parent_job_id,
        'committed': committed is not none,
        'parent_error_recorded': parent_recorded,
        'message': text,
    }}), info=true) %}
    {% do eros_say('lock sweep ' ~ job_id ~ ' recorded as FAILED: ' ~ text) %}
{% endmacro %}


{#- The sentence beside a sweep's EROS_JSON line: `cleaned 3,082 locks (...); 4,815 still active`. -#}
{% macro eros_say_lock_sweep(result) %}
    {% set verb = 'would clean' if result.get('dry_run') else 'cleaned' %}
    {% do eros_say('lock sweep ' ~ verb ~ ' ' ~ eros_number(result.get('total_locks_cleaned')) ~ ' locks ('
        ~ eros_number(result.get('locks_expired_past_date')) ~ ' past their send date, '
        ~ eros_number(result.get('locks_expired_stale')) ~ ' stale); '
        ~ eros_number(result.get('active_locks_after')) ~ ' active locks ' ~ ('would remain' if result.get('dry_run') else 'remain')
        ~ (' (dry run: nothing was changed)' if result.get('dry_run') else '')) %}
{% endmacro %}
