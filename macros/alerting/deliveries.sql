{#-
  Run-operations behind `eros alerts send | list | ack` (issue 7). The sender's decisions
  (batching, escalation timing, retries) are made in eros/notify.py from what
  eros_alert_outbox returns; every state change is written here, in the warehouse.
-#}


{#- 'YYYY-MM-DD HH:MM:SS' text of a UTC timestamp column, the same on every engine. -#}
{% macro eros_alerting_ts_text(column) -%}
    {{ return(adapter.dispatch('eros_alerting_ts_text', 'eros')(column)) }}
{%- endmacro %}

{% macro default__eros_alerting_ts_text(column) -%}
    strftime({{ column }}, '%Y-%m-%d %H:%M:%S')
{%- endmacro %}

{% macro bigquery__eros_alerting_ts_text(column) -%}
    format_timestamp('%Y-%m-%d %H:%M:%S', {{ column }}, 'UTC')
{%- endmacro %}


{#- Parse 'YYYY-MM-DD HH:MM:SS' (the CLI's format) into a naive datetime. -#}
{% macro eros_alerting_parse(text) %}
    {{ return(modules.datetime.datetime.strptime((text | string)[:19].replace('T', ' '), '%Y-%m-%d %H:%M:%S')) }}
{% endmacro %}


{#- What the sender needs at `now`: the rules, the alerts raised since
    now - max(var alert_delivery_max_age_hours, escalation windows), the deliveries of those
    alerts, and every CLAIMED delivery (left by a send that stopped). Prints
    EROS_JSON {"alert_outbox": {...}}. -#}
{% macro eros_alert_outbox(now) %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% set tables = eros_alerting_tables(need_deliveries=true) %}
    {% set now_dt = eros_alerting_parse(now) %}
    {% set rules = eros_alerting_rows(run_query(
        'select rule_id, rule_type, level, condition_source, threshold, window_minutes, cooldown_minutes, auto_resolve, channels, enabled from '
        ~ tables.rules ~ ' order by rule_id')) %}
    {% set hours = [var('alert_delivery_max_age_hours', 24) | float] %}
    {% for r in rules %}
        {% if r.rule_type == 'escalation' and r.enabled and r.window_minutes is not none %}
            {% do hours.append((r.window_minutes | float) / 60.0) %}
        {% endif %}
    {% endfor %}
    {% set since = now_dt - modules.datetime.timedelta(hours=hours | max) %}
    {% set alerts_sql %}
        select
            alert_id,
            {{ eros_alerting_ts_text('alert_time') }} as alert_time,
            alert_level,
            alert_source,
            alert_message,
            job_id,
            rule_id,
            coalesce(status, 'OPEN') as status,
            coalesce(acknowledged, false) as acknowledged,
            {{ eros_alerting_ts_text('acknowledged_at') }} as acknowledged_at,
            acknowledged_by
        from {{ tables.alerts }}
        where alert_time >= {{ eros_timestamp_literal(since) }}
            and alert_time <= {{ eros_timestamp_literal(now_dt) }}
        order by alert_time, alert_id
    {% endset %}
    {% set alerts = eros_alerting_rows(run_query(alerts_sql)) %}
    {% set deliveries_sql %}
        select
            deliveries.delivery_id,
            deliveries.alert_id,
            deliveries.channel,
            deliveries.delivery_kind,
            deliveries.status,
            deliveries.attempts,
            deliveries.batch_id,
            deliveries.destination,
            {{ eros_alerting_ts_text('deliveries.first_attempt_at') }} as first_attempt_at,
            {{ eros_alerting_ts_text('deliveries.last_attempt_at') }} as last_attempt_at,
            {{ eros_alerting_ts_text('deliveries.sent_at') }} as sent_at,
            deliveries.error_message
        from {{ tables.deliveries }} as deliveries
        where deliveries.status = 'CLAIMED'
            or deliveries.alert_id in (
                select alert_id from {{ tables.alerts }}
                where alert_time >= {{ eros_timestamp_literal(since) }}
            )
        order by deliveries.delivery_id
    {% endset %}
    {% set deliveries = eros_alerting_rows(run_query(deliveries_sql)) %}
    {% do log('EROS_JSON ' ~ tojson({'alert_outbox': {
        'now': now_dt | string,
        'since': since | string,
        'default_channels': var('alert_default_channels', ['slack', 'gchat']),
        'batch_window_minutes': var('alert_batch_window_minutes', 5),
        'max_age_hours': var('alert_delivery_max_age_hours', 24),
        'rules': rules,
        'alerts': alerts,
        'deliveries': deliveries,
    }}), info=true) %}
{% endmacro %}


{#- Upsert delivery rows (dicts with every column of alert_deliveries; timestamps as
    'YYYY-MM-DD HH:MM:SS' or none) in one MERGE, committed before returning. -#}
{% macro eros_record_alert_deliveries(rows) %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% set tables = eros_alerting_tables(need_deliveries=true) %}
    {% if not rows %}
        {% do log('EROS_JSON ' ~ tojson({'alert_deliveries_recorded': 0}), info=true) %}
        {{ return('') }}
    {% endif %}
    {% set string = dbt.type_string() %}
    {% set columns = ['delivery_id', 'alert_id', 'channel', 'delivery_kind', 'status', 'attempts', 'batch_id', 'destination',
                      'first_attempt_at', 'last_attempt_at', 'sent_at', 'error_message'] %}
    {% set merge_sql %}
        merge into {{ tables.deliveries }} as target
        using (
            {% for row in rows %}
            select
                cast({{ eros_sql_string(row.delivery_id) }} as {{ string }}) as delivery_id,
                cast({{ eros_sql_string(row.alert_id) }} as {{ string }}) as alert_id,
                cast({{ eros_sql_string(row.channel) }} as {{ string }}) as channel,
                cast({{ eros_sql_string(row.delivery_kind) }} as {{ string }}) as delivery_kind,
                cast({{ eros_sql_string(row.status) }} as {{ string }}) as status,
                cast({{ row.attempts | int }} as {{ dbt.type_bigint() }}) as attempts,
                cast({{ eros_sql_string(row.batch_id) }} as {{ string }}) as batch_id,
                cast({{ eros_sql_string(row.destination) }} as {{ string }}) as destination,
                {% for ts in ['first_attempt_at', 'last_attempt_at', 'sent_at'] %}
                {% if row[ts] %}{{ eros_timestamp_literal(eros_alerting_parse(row[ts])) }}{% else %}cast(null as {{ dbt.type_timestamp() }}){% endif %} as {{ ts }},
                {% endfor %}
                cast({{ eros_sql_string((row.error_message or '')[:1000] or none) }} as {{ string }}) as error_message
            {% if not loop.last %}union all{% endif %}
            {% endfor %}
        ) as source
        on target.delivery_id = source.delivery_id
        when matched then update set
            {% for column in columns[1:] %}{{ column }} = source.{{ column }}{{ ',' if not loop.last }}
            {% endfor %}
        when not matched then insert ({{ columns | join(', ') }})
        values ({% for column in columns %}source.{{ column }}{{ ', ' if not loop.last }}{% endfor %})
    {% endset %}
    {% do run_query(merge_sql) %}
    {% do adapter.commit() if target.type == 'duckdb' %}
    {% do log('EROS_JSON ' ~ tojson({'alert_deliveries_recorded': rows | length}), info=true) %}
{% endmacro %}


{#- Acknowledge one alert (id or unique prefix of at least 6 characters) by `by` at `at`.
    Alerts that do not auto-resolve (job alerts, rules with auto_resolve false) are also
    RESOLVED by the acknowledgement; auto-resolving ones stay OPEN until their condition
    clears (and silence their rule meanwhile). Idempotent: an acknowledged alert is left
    as it is. Prints EROS_JSON {"alert_ack": {...}} with `error` when not found/ambiguous. -#}
{% macro eros_ack_alert(alert_id, by, at) %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% set tables = eros_alerting_tables() %}
    {% set key = (alert_id | string) | trim | lower %}
    {% set at_dt = eros_alerting_parse(at) %}
    {% set find_sql %}
        select
            alerts.alert_id,
            alerts.alert_level,
            alerts.alert_message,
            alerts.rule_id,
            coalesce(alerts.status, 'OPEN') as status,
            coalesce(alerts.acknowledged, false) as acknowledged,
            alerts.acknowledged_by,
            {{ eros_alerting_ts_text('alerts.acknowledged_at') }} as acknowledged_at,
            coalesce(rules.auto_resolve, false) as auto_resolve
        from {{ tables.alerts }} as alerts
        left join {{ tables.rules }} as rules
            on alerts.rule_id = rules.rule_id
        where alerts.alert_id = {{ eros_sql_string(key) }}
            {% if key | length >= 6 %}or alerts.alert_id like {{ eros_sql_string(key ~ '%') }}{% endif %}
    {% endset %}
    {% set found = eros_alerting_rows(run_query(find_sql)) %}
    {% set exact = found | selectattr('alert_id', 'equalto', key) | list %}
    {% set found = exact if exact else found %}
    {% if found | length == 0 %}
        {% do log('EROS_JSON ' ~ tojson({'alert_ack': {'error': 'no alert with id ' ~ key}}), info=true) %}
        {{ return('') }}
    {% elif found | length > 1 %}
        {% do log('EROS_JSON ' ~ tojson({'alert_ack': {'error': 'alert id prefix ' ~ key ~ ' matches ' ~ (found | length) ~ ' alerts; give more characters'}}), info=true) %}
        {{ return('') }}
    {% endif %}
    {% set alert = found[0] %}
    {% set changed = not alert.acknowledged %}
    {% if changed %}
        {% set resolves = not alert.auto_resolve and alert.status == 'OPEN' %}
        {% set ack_sql %}
            update {{ tables.alerts }}
            set
                acknowledged = true,
                acknowledged_at = {{ eros_timestamp_literal(at_dt) }},
                acknowledged_by = {{ eros_sql_string(by) }}
                {% if resolves %},
                status = 'RESOLVED',
                resolved_at = {{ eros_timestamp_literal(at_dt) }}
                {% endif %}
            where alert_id = {{ eros_sql_string(alert.alert_id) }}
        {% endset %}
        {% do run_query(ack_sql) %}
        {% do adapter.commit() if target.type == 'duckdb' %}
        {% do alert.update({'acknowledged': true, 'acknowledged_by': by, 'acknowledged_at': at_dt | string,
                            'status': 'RESOLVED' if resolves else alert.status}) %}
    {% endif %}
    {% do alert.update({'changed': changed}) %}
    {% do log('EROS_JSON ' ~ tojson({'alert_ack': alert}), info=true) %}
{% endmacro %}


{#- Alerts for `eros alerts list`: unresolved ones (all_statuses false) or every status,
    newest first, at most `limit`, with their deliveries. Prints EROS_JSON {"alert_list": ...}. -#}
{% macro eros_list_alerts(all_statuses=false, limit=200) %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% set tables = eros_alerting_tables() %}
    {% set list_sql %}
        select
            alert_id,
            {{ eros_alerting_ts_text('alert_time') }} as alert_time,
            alert_level,
            alert_source,
            alert_message,
            job_id,
            rule_id,
            coalesce(status, 'OPEN') as status,
            coalesce(acknowledged, false) as acknowledged,
            acknowledged_by,
            {{ eros_alerting_ts_text('acknowledged_at') }} as acknowledged_at,
            {{ eros_alerting_ts_text('resolved_at') }} as resolved_at,
            condition_value,
            condition_threshold
        from {{ tables.alerts }}
        {% if not all_statuses %}where coalesce(status, 'OPEN') = 'OPEN'{% endif %}
        order by alert_time desc, alert_id
        limit {{ limit | int }}
    {% endset %}
    {% set alerts = eros_alerting_rows(run_query(list_sql)) %}
    {% set deliveries = [] %}
    {% set deliveries_relation = eros_model_relation('alert_deliveries') %}
    {% if alerts and deliveries_relation is not none %}
        {% set deliveries_sql %}
            select alert_id, channel, delivery_kind, status, attempts
            from {{ deliveries_relation }}
            where alert_id in ({% for a in alerts %}{{ eros_sql_string(a.alert_id) }}{{ ', ' if not loop.last }}{% endfor %})
            order by alert_id, channel, delivery_kind
        {% endset %}
        {% set deliveries = eros_alerting_rows(run_query(deliveries_sql)) %}
    {% endif %}
    {% do log('EROS_JSON ' ~ tojson({'alert_list': {'alerts': alerts, 'deliveries': deliveries}}), info=true) %}
{% endmacro %}
