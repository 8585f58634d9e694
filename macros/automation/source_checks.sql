{#-
  Do the source tables exist with the columns the project reads? Used by the job hooks
  (a job stops with one clear line instead of a SQL error deep in the DAG) and by
  `dbt run-operation eros_check_sources` / `eros doctor`.
  Returns {'missing_tables': [...], 'missing_columns': {'table': [...]}}.
-#}
{% macro eros_source_problems(only=none) %}
    {% set missing_tables = [] %}
    {% set missing_columns = {} %}
    {% for node in graph.sources.values() %}
        {% if node.package_name == project_name and node.source_name == 'scheduler' and (only is none or node.name in only) %}
            {% if node.name != 'page_settings' or var('eros_page_settings_enabled') %}
                {% set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.identifier) %}
                {% set shown = (node.database ~ '.' if node.database != target.database else '') ~ node.schema ~ '.' ~ node.identifier %}
                {% if relation is none %}
                    {% do missing_tables.append(shown) %}
                {% else %}
                    {% set present = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list %}
                    {% set absent = [] %}
                    {% for column in node.columns %}
                        {% if column | lower not in present %}
                            {% do absent.append(column) %}
                        {% endif %}
                    {% endfor %}
                    {% if absent %}
                        {% do missing_columns.update({shown: absent}) %}
                    {% endif %}
                {% endif %}
            {% endif %}
        {% endif %}
    {% endfor %}
    {{ return({'missing_tables': missing_tables, 'missing_columns': missing_columns}) }}
{% endmacro %}


{#- One line naming what is missing, or none. -#}
{% macro eros_source_problem_text(only=none) %}
    {% set problems = eros_source_problems(only) %}
    {% set parts = [] %}
    {% if problems.missing_tables %}
        {% set noun = 'source table ' if problems.missing_tables | length == 1 else 'source tables ' %}
        {% set verb = ' does not exist' if problems.missing_tables | length == 1 else ' do not exist' %}
        {% do parts.append(noun ~ (problems.missing_tables | join(', ')) ~ verb ~ ' (set EROS_SOURCE_DATABASE / EROS_SOURCE_SCHEMA, or run `eros generate`)') %}
    {% endif %}
    {% for table, columns in problems.missing_columns.items() %}
        {% do parts.append('source table ' ~ table ~ ' lacks column' ~ ('s ' if columns | length > 1 else ' ') ~ (columns | join(', '))) %}
    {% endfor %}
    {{ return(parts | join('; ') if parts else none) }}
{% endmacro %}


{#- Stop a job whose sources are missing. When the job tables exist, the run is first
    recorded as FAILED with a CRITICAL alert, so a dropped or renamed source does not stay
    silent until the "not run for 28 h" rule fires. -#}
{% macro eros_assert_sources(job=none, only=none) %}
    {% set problem = eros_source_problem_text(only) %}
    {% if problem is none %}
        {{ return('') }}
    {% endif %}
    {% if job and eros_existing_relation(eros_ops_relation('etl_job_runs')) is not none %}
        {% do eros_write_job_row(job, 'FAILED', 0, 0, problem) %}
        {% do eros_raise_alert('CRITICAL', 'lock_cleanup' if job == 'lock_sweep' else job, job ~ ' FAILED: ' ~ problem) %}
    {% endif %}
    {{ exceptions.raise_compiler_error('EROS_SOURCE_MISSING: ' ~ problem) }}
{% endmacro %}


{#- run-operation: print the problems as one JSON line (marker EROS_JSON). -#}
{% macro eros_check_sources() %}
    {% set problems = eros_source_problems() %}
    {% do log('EROS_JSON ' ~ tojson({'source_problems': problems}), info=true) %}
    {% do eros_say('source tables: ' ~ ('no problem found' if not problems else eros_number(problems | length) ~ ' problem(s): ' ~ (problems | map('string') | join('; ')))) %}
{% endmacro %}
