{#-
  Scorecard helpers (issue 6).

  The checks of system_health_scorecard, in display order, are the scorecard measures of
  macros/health/health_measures.sql (eros_health_scorecard_measures()).
  eros_health_emit_scorecard(relation): post-hook of system_health_scorecard. Logs one
  line per check (readable in any dbt log, dbt Cloud included) and the whole scorecard as
  one `EROS_JSON {"kind": "health_scorecard", "checks": [...]}` line, which `eros health`
  reads instead of starting another dbt process. Returns no SQL.
-#}


{% macro eros_health_emit_scorecard(relation) %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% set names = eros_health_scorecard_measures() %}
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
    {% set statuses = checks | map(attribute='status') | list %}
    {% set counts = [] %}
    {% for status in ['PASS', 'WARN', 'FAIL'] %}
        {% do counts.append(eros_number(statuses | select('equalto', status) | list | length) ~ ' ' ~ status) %}
    {% endfor %}
    {% do eros_say('health scorecard: ' ~ (counts | join(', '))) %}
    {{ return('') }}
{% endmacro %}
