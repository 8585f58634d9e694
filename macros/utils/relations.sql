{#- Relation of a model of this project by name, from the graph (respects custom schemas
    and aliases); none when the model is unknown or its table does not exist yet. -#}
{% macro eros_model_relation(model_name, must_exist=true) %}
    {#- a dbt unit test renders its model without the project graph: no relation -#}
    {% if graph.nodes is not defined %}
        {{ return(none) }}
    {% endif %}
    {% for node in graph.nodes.values() %}
        {% if node.resource_type in ('model', 'seed') and node.package_name == project_name and node.name == model_name %}
            {% if must_exist %}
                {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
            {% endif %}
            {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) }}
        {% endif %}
    {% endfor %}
    {{ return(none) }}
{% endmacro %}


{#- A Python value as a SQL string literal (NULL for none). DuckDB doubles single quotes;
    BigQuery escapes with backslashes, and a quoted BigQuery string may not hold a raw line
    break, so newlines and carriage returns are written as the escapes \n and \r. -#}
{% macro eros_sql_string(value) -%}
    {%- if value is none -%}
        null
    {%- else -%}
        {{ adapter.dispatch('eros_sql_string', 'eros')(value | string) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__eros_sql_string(text) -%}
    '{{ text | replace("'", "''") }}'
{%- endmacro %}

{% macro bigquery__eros_sql_string(text) -%}
    '{{ text | replace("\\", "\\\\") | replace("'", "\\'") | replace("\n", "\\n") | replace("\r", "\\r") }}'
{%- endmacro %}


{#- The relation when its table or view exists, else none. -#}
{% macro eros_existing_relation(relation) %}
    {{ return(adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier)) }}
{% endmacro %}


{#- Commit what run_query wrote: DuckDB holds it in the connection's transaction; a BigQuery
    statement commits on its own (and the adapter has no transaction to commit). -#}
{% macro eros_commit() %}
    {% do adapter.dispatch('eros_commit', 'eros')() %}
{% endmacro %}

{% macro default__eros_commit() %}
{% endmacro %}

{% macro duckdb__eros_commit() %}
    {% do adapter.ensure_transaction() %}
    {% do adapter.commit() %}
{% endmacro %}
