{#-
  Scorecard helpers (issue 6).

  eros_health_check_names(): the checks of system_health_scorecard, in display order
  (the scorecard measures of macros/health/health_measures.sql).
  eros_health_emit_scorecard(relation): post-hook of system_health_scorecard. Logs one
  line per check (readable in any dbt log, dbt Cloud included) and the whole scorecard as
  one `EROS_JSON {"kind": "health_scorecard", "checks": [...]}` line, which `eros health`
  reads instead of starting another dbt process. Returns no SQL.
-#}

{% macro eros_health_check_names() %}
    {{ return(eros_health_scorecard_measures()) }}
{% endmacro %}


{% macro eros_health_emit_scorecard(relation) %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% set names = eros_health_check_names() %}
    {% set query %}
        select
            check_name,
            status,
            observed_value,
            threshold,
            detail,
            {{ eros_timestamp_text('checked_at') }} as checked_at
        from {{ relation }}
        order by
            case check_name
            {%- for name in names %}
                when '{{ name }}' then {{ loop.index }}
            {%- endfor %}
                else {{ names | length + 1 }}
            end,
            check_name
    {% endset %}
    {% set table = run_query(query) %}
    {% set checks = [] %}
    {% for row in table.rows %}
        {% set check = eros_jsonable_row(table.column_names, row) %}
        {% do checks.append(check) %}
        {% do log('health: ' ~ check.status ~ ' ' ~ check.check_name ~ ' (' ~ check.detail ~ ')', info=true) %}
    {% endfor %}
    {% do log('EROS_JSON ' ~ tojson({'kind': 'health_scorecard', 'checks': checks}), info=true) %}
    {{ return('') }}
{% endmacro %}


{#- run-operation used by `eros report`: runs the given compiled queries (the health
    analyses, compiled by `dbt compile`) and prints their rows as one line
    `EROS_JSON {"kind": "health_report_queries", "results": {name: {"columns": [...], "rows": [...]}}}`.
    queries: {name: sql}. requires: {name: [model names the query reads]}; a query whose
    models are not built yet (a job that never ran) is skipped: {"missing": [...]}. -#}
{% macro eros_health_report_queries(queries, requires=none) %}
    {% set results = {} %}
    {% for name, sql in queries.items() %}
        {% set missing = [] %}
        {% for model_name in (requires or {}).get(name, []) %}
            {% if eros_health_relation(model_name) is none %}
                {% do missing.append(model_name) %}
            {% endif %}
        {% endfor %}
        {% if missing %}
            {% do results.update({name: {'columns': [], 'rows': [], 'missing': missing}}) %}
        {% else %}
            {% set table = run_query(sql) %}
            {% set rows = [] %}
            {% for row in table.rows %}
                {% do rows.append(eros_jsonable_row(table.column_names, row)) %}
            {% endfor %}
            {% do results.update({name: {'columns': table.column_names | list, 'rows': rows}}) %}
        {% endif %}
    {% endfor %}
    {% do log('EROS_JSON ' ~ tojson({'kind': 'health_report_queries', 'results': results}), info=true) %}
{% endmacro %}
