{#-
  Do the source tables exist with the columns the project reads? Used by the job hooks
  (a job stops with one clear line instead of a SQL error deep in the DAG) and by
  `dbt run-operation eros_check_sources` / `eros doctor`.
  Returns {'missing_tables': [...], 'missing_columns': {'table': [...]}}.
-#}
{% macro eros_source_problems() %}
    {% set missing_tables = [] %}
    {% set missing_columns = {} %}
    {% for node in graph.sources.values() %}
        {% if node.package_name == project_name and node.source_name == 'scheduler' %}
            {% if node.name != 'page_settings' or var('eros_page_settings_enabled') %}
                {% set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.identifier) %}
                {% if relation is none %}
                    {% do missing_tables.append(node.schema ~ '.' ~ node.identifier) %}
                {% else %}
                    {% set present = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list %}
                    {% set absent = [] %}
                    {% for column in node.columns %}
                        {% if column | lower not in present %}
                            {% do absent.append(column) %}
                        {% endif %}
                    {% endfor %}
                    {% if absent %}
                        {% do missing_columns.update({node.schema ~ '.' ~ node.identifier: absent}) %}
                    {% endif %}
                {% endif %}
            {% endif %}
        {% endif %}
    {% endfor %}
    {{ return({'missing_tables': missing_tables, 'missing_columns': missing_columns}) }}
{% endmacro %}


{% macro eros_assert_sources() %}
    {% set problems = eros_source_problems() %}
    {% if problems.missing_tables %}
        {{ exceptions.raise_compiler_error('EROS_SOURCE_MISSING: source table ' ~ (problems.missing_tables | join(', ')) ~ ' does not exist (set EROS_SOURCE_SCHEMA / EROS_SOURCE_DATABASE, or run `eros generate`)') }}
    {% endif %}
    {% if problems.missing_columns %}
        {% set parts = [] %}
        {% for table, columns in problems.missing_columns.items() %}
            {% do parts.append(table ~ ' lacks ' ~ (columns | join(', '))) %}
        {% endfor %}
        {{ exceptions.raise_compiler_error('EROS_SOURCE_MISSING: ' ~ (parts | join('; '))) }}
    {% endif %}
{% endmacro %}


{#- run-operation: print the problems as one JSON line (marker EROS_JSON). -#}
{% macro eros_check_sources() %}
    {% do log('EROS_JSON ' ~ tojson({'source_problems': eros_source_problems()}), info=true) %}
{% endmacro %}
