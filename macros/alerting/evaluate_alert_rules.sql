{#-
  Alert rule evaluation (issue 7), inside dbt: the on-run-end hook of every job's build
  calls it at the run's clock (its as_of instant, else the wall clock: eros_utc_now), so `dbt build --selector
  <job>` alone evaluates the rules, on dbt Cloud as under `eros run <job>`; on demand:

      dbt run-operation evaluate_alert_rules [--args '{as_of: "2026-06-17 11:00:00"}']

  (`eros alerts evaluate [--as-of]`).
  At instant T (arg as_of in UTC, else var as_of_timestamp, else when the run-operation
  started; an arg, unlike a var, keeps dbt's partial parse), for every
  enabled condition rule of the seed alert_rules:

  raise    when its condition holds (eros_alert_conditions_sql), no higher level of the
           same condition holds, and no alert of the rule "silences" it. An alert silences
           its rule when it was raised less than cooldown_minutes before T (whatever its
           status: cooldown), or when it is acknowledged and its condition has not been
           seen clear since (a person owns it). So a condition holding for 24 h raises at
           most ceil(1440 / cooldown_minutes) alerts, and none after an acknowledgement.
           When the job that caused the event raised its own alert (same level, e.g. the
           daily hook's CRITICAL "Daily automation FAILED"), the rule adopts that row
           (sets rule_id, status OPEN, condition_value) instead of inserting a second one.
           A new alert: alert_id = md5('rule|' || rule_id || '|' || T), alert_time = T,
           alert_source health_monitor, status OPEN; re-running the same T adds nothing.
  clear    when its condition is seen clear (not NO_SOURCE): every alert of the rule raised
           at or before T without condition_cleared_at gets condition_cleared_at = T, and
           an OPEN one stops being open (issue 15, "alerts that stay true"):
           - auto_resolve rules (DOMAIN.md: feedback stale > 12 h, daily not run > 28 h):
             status RESOLVED, resolved_at = T;
           - other rules on a point-in-time measure (window_minutes NULL: active locks,
             feedback stale > 8 h): status SUPERSEDED, resolved_at = T. The alert stated a
             reading ("7,897 active locks") that a later reading contradicts ("4,815"); it
             is not resolved (nobody acted, the rule does not auto-resolve) but no longer true;
           - rules on an event in a window (a failed run, a page failure rate, cleanup
             volume, duration) stay OPEN until acknowledged: the event did happen.
  supersede when a higher level of the same condition holds (superseded_by): the lower
           level's OPEN alerts raised at or before T get status SUPERSEDED, resolved_at = T
           (a WARNING "more than 5,000 active locks" beside the CRITICAL "more than 10,000").
  History is kept: nothing is deleted; resolved and superseded alerts stay with their times.

  Prints EROS_JSON {"alert_evaluation": {as_of, conditions, raised, cleared, resolved, superseded}}.
  Raises a compiler error starting with EROS_ALERTS_NEEDS_BUILD when the seed or the new
  automation_alerts columns are missing (`dbt build --selector alerts` creates them).
-#}

{% macro evaluate_alert_rules(as_of=none) %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% set tables = eros_alerting_tables() %}
    {% set as_of = eros_alerting_parse(as_of) if as_of not in (none, '') else eros_as_of() %}
    {% set now = eros_timestamp_literal(as_of) %}
    {% set conditions = eros_alerting_rows(run_query(eros_alert_conditions_sql(tables.rules, as_of))) %}

    {#- alerts of the rules that may silence a rule now -#}
    {% set max_cooldown = [1] %}
    {% for c in conditions %}
        {% do max_cooldown.append((c.cooldown_minutes or 0) | int) %}
    {% endfor %}
    {% set since = as_of - modules.datetime.timedelta(minutes=max_cooldown | max) %}
    {% set recent_sql %}
        select alert_id, rule_id, alert_time, coalesce(acknowledged, false) as acknowledged, condition_cleared_at
        from {{ tables.alerts }}
        where rule_id is not null
            and (
                alert_time >= {{ eros_timestamp_literal(since) }}
                or (coalesce(acknowledged, false) and condition_cleared_at is null)
            )
    {% endset %}
    {% set recent = eros_alerting_rows(run_query(recent_sql)) %}

    {% set due = [] %}
    {% for c in conditions %}
        {% if c.rule_type == 'condition' and c.enabled and c.holds and c.superseded_by is none %}
            {% set silenced = [] %}
            {% for a in recent %}
                {% if a.rule_id == c.rule_id %}
                    {% set age_seconds = (as_of - eros_alerting_naive(a.alert_time)).total_seconds() %}
                    {% if age_seconds < (c.cooldown_minutes or 0) * 60 %}
                        {% do silenced.append(a.alert_id ~ ' (cooldown)') %}
                    {% elif a.acknowledged and a.condition_cleared_at is none and age_seconds >= 0 %}
                        {% do silenced.append(a.alert_id ~ ' (acknowledged)') %}
                    {% endif %}
                {% endif %}
            {% endfor %}
            {% if not silenced %}
                {% do due.append(c) %}
            {% endif %}
        {% endif %}
    {% endfor %}

    {#- job alerts the due rules may adopt -#}
    {% set adoptable = {} %}
    {% set adopt_jobs = [] %}
    {% for c in due %}
        {% if c.adopt_job_id is not none %}
            {% do adopt_jobs.append(c.adopt_job_id) %}
        {% endif %}
    {% endfor %}
    {% if adopt_jobs %}
        {% set adopt_sql %}
            select alert_id, job_id, alert_level, alert_source, alert_message
            from {{ tables.alerts }}
            where rule_id is null
                and job_id in ({% for job in adopt_jobs %}{{ eros_sql_string(job) }}{{ ', ' if not loop.last }}{% endfor %})
            order by alert_id
        {% endset %}
        {% set candidates = eros_alerting_rows(run_query(adopt_sql)) %}
        {% for c in due %}
            {% for a in candidates %}
                {% if c.rule_id not in adoptable and a.job_id == c.adopt_job_id and a.alert_level == c.level
                      and a.alert_source == c.adopt_source and eros_alerting_like(a.alert_message, c.adopt_message_like)
                      and a.alert_id not in adoptable.values() | list %}
                    {% do adoptable.update({c.rule_id: a.alert_id}) %}
                {% endif %}
            {% endfor %}
        {% endfor %}
    {% endif %}

    {% set raised = [] %}
    {% for c in due %}
        {% set adopted = c.rule_id in adoptable %}
        {% set alert_id = adoptable[c.rule_id] if adopted else local_md5('rule|' ~ c.rule_id ~ '|' ~ (as_of | string)) %}
        {% do raised.append({
            'alert_id': alert_id,
            'rule_id': c.rule_id,
            'level': c.level,
            'adopted': adopted,
            'condition_value': c.observed_value,
            'threshold': c.threshold,
            'message': eros_alert_rule_message(c),
        }) %}
    {% endfor %}
    {% if raised %}
        {% do run_query(eros_alerting_raise_sql(tables.alerts, raised, as_of)) %}
    {% endif %}

    {#- conditions seen clear; lower levels a higher one supersedes -#}
    {% set clear_rules = [] %}
    {% set auto_rules = [] %}
    {% set reading_rules = [] %}
    {% set lower_rules = [] %}
    {% for c in conditions %}
        {% if c.rule_type == 'condition' and c.condition_status == 'CLEAR' %}
            {% do clear_rules.append(c.rule_id) %}
            {% if c.auto_resolve %}
                {% do auto_rules.append(c.rule_id) %}
            {% elif c.window_minutes is none %}
                {% do reading_rules.append(c.rule_id) %}
            {% endif %}
        {% elif c.rule_type == 'condition' and c.condition_status == 'HOLDS' and c.superseded_by is not none %}
            {% do lower_rules.append(c.rule_id) %}
        {% endif %}
    {% endfor %}
    {% set cleared = [] %}
    {% set resolved = [] %}
    {% set superseded = [] %}
    {% if clear_rules %}
        {% set clear_filter %}
            rule_id in ({{ eros_alerting_in_list(clear_rules) }})
            and condition_cleared_at is null
            and alert_time <= {{ now }}
        {% endset %}
        {% set to_clear = eros_alerting_rows(run_query('select alert_id, rule_id, coalesce(status, ' ~ "'OPEN'" ~ ') as status from ' ~ tables.alerts ~ ' where ' ~ clear_filter)) %}
        {% for a in to_clear %}
            {% do cleared.append(a.alert_id) %}
            {% if a.rule_id in auto_rules and a.status == 'OPEN' %}
                {% do resolved.append(a.alert_id) %}
            {% elif a.rule_id in reading_rules and a.status == 'OPEN' %}
                {% do superseded.append(a.alert_id) %}
            {% endif %}
        {% endfor %}
        {% if cleared %}
            {% set clear_sql %}
                update {{ tables.alerts }}
                set
                    condition_cleared_at = {{ now }},
                    resolved_at = case
                        when rule_id in ({{ eros_alerting_in_list(auto_rules + reading_rules) }}) and coalesce(status, 'OPEN') = 'OPEN' then {{ now }}
                        else resolved_at
                    end,
                    status = case
                        when rule_id in ({{ eros_alerting_in_list(auto_rules) }}) then 'RESOLVED'
                        when rule_id in ({{ eros_alerting_in_list(reading_rules) }}) and coalesce(status, 'OPEN') = 'OPEN' then 'SUPERSEDED'
                        else status
                    end
                where {{ clear_filter }}
            {% endset %}
            {% do run_query(clear_sql) %}
        {% endif %}
    {% endif %}
    {% if lower_rules %}
        {% set lower_filter %}
            rule_id in ({{ eros_alerting_in_list(lower_rules) }})
            and coalesce(status, 'OPEN') = 'OPEN'
            and alert_time <= {{ now }}
        {% endset %}
        {% set to_supersede = eros_alerting_rows(run_query('select alert_id from ' ~ tables.alerts ~ ' where ' ~ lower_filter)) %}
        {% if to_supersede %}
            {% for a in to_supersede %}
                {% do superseded.append(a.alert_id) %}
            {% endfor %}
            {% do run_query('update ' ~ tables.alerts ~ " set status = 'SUPERSEDED', resolved_at = " ~ now ~ ' where ' ~ lower_filter) %}
        {% endif %}
    {% endif %}
    {% do eros_commit() %}

    {% set summary = [] %}
    {% for c in conditions %}
        {% do summary.append({
            'rule_id': c.rule_id, 'rule_type': c.rule_type, 'level': c.level, 'enabled': c.enabled,
            'condition_status': c.condition_status, 'holds': c.holds, 'observed_value': c.observed_value,
            'threshold': c.threshold, 'unit': c.unit, 'superseded_by': c.superseded_by, 'detail': c.detail,
        }) %}
    {% endfor %}
    {% do log('EROS_JSON ' ~ tojson({'alert_evaluation': {
        'as_of': as_of | string,
        'conditions': summary,
        'raised': raised,
        'cleared': cleared | length,
        'resolved': resolved,
        'superseded': superseded,
    }}), info=true) %}
    {% set holding = conditions | selectattr('holds') | list %}
    {% do eros_say('alert rules evaluated at ' ~ (as_of | string) ~ ' UTC: ' ~ eros_number(conditions | length) ~ ' rules, '
        ~ eros_number(holding | length) ~ ' holding; ' ~ eros_number(raised | length) ~ ' alert(s) raised, '
        ~ eros_number(resolved | length) ~ ' resolved, ' ~ eros_number(superseded | length) ~ ' superseded') %}
{% endmacro %}


{#- The alert message of a rule: description, observed value and threshold in the rule's unit
    (a unit '% of ...' in the one percent format, eros_percent: '97.4% of PPV messages'), detail. -#}
{% macro eros_alert_rule_message(c) %}
    {% if c.unit.startswith('%') %}
        {% set observed = eros_percent(c.observed_value) ~ c.unit[1:] %}
        {% set threshold = eros_percent(c.threshold) %}
    {% else %}
        {% set observed = eros_number(c.observed_value) ~ ' ' ~ c.unit %}
        {% set threshold = eros_number(c.threshold) %}
    {% endif %}
    {{ return(c.description ~ ': ' ~ observed ~ ' (threshold ' ~ threshold ~ '); ' ~ c.detail ~ ' [rule ' ~ c.rule_id ~ ']') }}
{% endmacro %}


{#- One MERGE: new rule alerts are inserted, adopted job alerts get the rule's columns. -#}
{% macro eros_alerting_raise_sql(alerts_relation, raised, as_of) %}
    {% set float = eros_type_float() %}
    {% set string = dbt.type_string() %}
    {% set sql %}
        merge into {{ alerts_relation }} as target
        using (
            {% for r in raised %}
            select
                cast({{ eros_sql_string(r.alert_id) }} as {{ string }}) as alert_id,
                {{ eros_timestamp_literal(as_of) }} as alert_time,
                cast({{ eros_sql_string(r.level) }} as {{ string }}) as alert_level,
                cast('health_monitor' as {{ string }}) as alert_source,
                cast({{ eros_sql_string(r.message[:2000]) }} as {{ string }}) as alert_message,
                cast({{ eros_sql_string(r.rule_id) }} as {{ string }}) as rule_id,
                cast({{ r.condition_value if r.condition_value is not none else 'null' }} as {{ float }}) as condition_value,
                cast({{ r.threshold }} as {{ float }}) as condition_threshold
            {% if not loop.last %}union all{% endif %}
            {% endfor %}
        ) as source
        on target.alert_id = source.alert_id
        when matched and target.rule_id is null then update set
            rule_id = source.rule_id,
            status = 'OPEN',
            condition_value = source.condition_value,
            condition_threshold = source.condition_threshold
        when not matched then insert (
            alert_id, alert_time, alert_level, alert_source, alert_message, job_id, acknowledged,
            rule_id, status, condition_value, condition_threshold
        ) values (
            source.alert_id, source.alert_time, source.alert_level, source.alert_source, source.alert_message,
            null, false, source.rule_id, 'OPEN', source.condition_value, source.condition_threshold
        )
    {% endset %}
    {{ return(sql) }}
{% endmacro %}


{#- The alerting tables, or a compiler error with the EROS_ALERTS_NEEDS_BUILD marker when
    the alert_rules seed is not loaded. automation_alerts (and alert_deliveries) are created
    when missing (macros/automation/ops_tables.sql). -#}
{% macro eros_alerting_tables(need_deliveries=false) %}
    {% do eros_ensure_ops_tables(['automation_alerts', 'alert_deliveries'] if need_deliveries else ['automation_alerts']) %}
    {% set rules = eros_existing_relation(ref('alert_rules')) %}
    {% set alerts = eros_ops_relation('automation_alerts') %}
    {% set deliveries = eros_existing_relation(eros_ops_relation('alert_deliveries')) %}
    {% set missing = [] %}
    {% if rules is none %}{% do missing.append('alert_rules') %}{% endif %}
    {% set names = adapter.get_columns_in_relation(alerts) | map(attribute='name') | map('lower') | list %}
    {% if 'condition_cleared_at' not in names %}
        {% do missing.append('automation_alerts.condition_cleared_at') %}
    {% endif %}
    {% if missing %}
        {{ exceptions.raise_compiler_error('EROS_ALERTS_NEEDS_BUILD: ' ~ (missing | join(', ')) ~ ' missing: run `dbt build --selector alerts`') }}
    {% endif %}
    {{ return({'rules': rules, 'alerts': alerts, 'deliveries': deliveries}) }}
{% endmacro %}


{#- agate table -> list of dicts with plain Python values (Decimal -> int/float). -#}
{% macro eros_alerting_rows(table) %}
    {% set rows = [] %}
    {% for row in table.rows %}
        {% set out = {} %}
        {% for name in table.column_names %}
            {% set value = row[loop.index0] %}
            {% if value is number and value is not boolean %}
                {% set value = (value | int) if (value | float) == (value | int) else (value | float) %}
            {% endif %}
            {% do out.update({name | lower: value}) %}
        {% endfor %}
        {% do rows.append(out) %}
    {% endfor %}
    {{ return(rows) }}
{% endmacro %}


{#- A timestamp from the warehouse as a naive UTC datetime (BigQuery returns aware ones). -#}
{% macro eros_alerting_naive(value) %}
    {% if value is string %}
        {% set value = modules.datetime.datetime.fromisoformat(value.replace('Z', '+00:00')) %}
    {% endif %}
    {% if value.tzinfo is not none %}
        {% set value = value.astimezone(modules.pytz.utc).replace(tzinfo=none) %}
    {% endif %}
    {{ return(value) }}
{% endmacro %}


{#- A SQL list of string literals for `in (...)`; a never-matching '-' when empty. -#}
{% macro eros_alerting_in_list(values) %}
    {%- for v in (values or ['-']) %}{{ eros_sql_string(v) }}{{ ', ' if not loop.last }}{% endfor -%}
{% endmacro %}


{#- SQL LIKE with % wildcards only, in Jinja. -#}
{% macro eros_alerting_like(text, pattern) %}
    {% if pattern is none or pattern == '%' %}
        {{ return(true) }}
    {% endif %}
    {% set regex = '^' ~ (modules.re.escape(pattern) | replace('%', '.*')) ~ '$' %}
    {{ return(modules.re.match(regex, text or '', modules.re.S) is not none) }}
{% endmacro %}
