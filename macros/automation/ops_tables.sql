{#-
  The ops tables: the tables the jobs write row by row (job rows, alerts, deliveries, the
  sweep log, the schedule record, page errors, the queue). This file is the one home of
  their columns and BigQuery layout; from it come

    - eros_ensure_ops_tables()      on-run-start of every build (and the run-operations that
                                    write them): creates any missing ops table, so every ops
                                    table exists after the first build of ANY selector (the
                                    queue exists even when the circuit breaker trips on the
                                    very first daily run);
    - eros_ops_shell(name)          the typed null-cast select of the "shell" models
                                    (models/marts/*/<table>.sql), and eros_ops_empty_select
                                    for any typed fallback of a consumer (health inputs);
    - eros_ops_partition_by / _cluster_by   the models' BigQuery layout config;
    - tests/python/test_plain_dbt_jobs.py   checks every YAML contract against this spec.

  Abstract types: string, timestamp, date, int (64-bit), float (64-bit), boolean;
  eros_ops_type() turns them into the engine's type. Adding a column: append it here (the
  models have on_schema_change append_new_columns; a missing table is created with it).
-#}

{% macro eros_ops_table_spec() %}
    {{ return({
        'etl_job_runs': {
            'columns': [
                ['job_id', 'string'],
                ['job_name', 'string'],
                ['job_start_time', 'timestamp'],
                ['job_end_time', 'timestamp'],
                ['job_status', 'string'],
                ['execution_date', 'date'],
                ['creators_processed', 'int'],
                ['creators_failed', 'int'],
                ['error_message', 'string'],
                ['job_duration_seconds', 'float'],
            ],
            'partition': ['job_start_time', 'timestamp'],
            'cluster': ['job_name', 'job_status'],
        },
        'automation_alerts': {
            'columns': [
                ['alert_id', 'string'],
                ['alert_time', 'timestamp'],
                ['alert_level', 'string'],
                ['alert_source', 'string'],
                ['alert_message', 'string'],
                ['job_id', 'string'],
                ['acknowledged', 'boolean'],
                ['acknowledged_at', 'timestamp'],
                ['acknowledged_by', 'string'],
                ['rule_id', 'string'],
                ['status', 'string'],
                ['condition_value', 'float'],
                ['condition_threshold', 'float'],
                ['condition_cleared_at', 'timestamp'],
                ['resolved_at', 'timestamp'],
            ],
            'partition': ['alert_time', 'timestamp'],
            'cluster': ['alert_level', 'alert_source'],
        },
        'alert_deliveries': {
            'columns': [
                ['delivery_id', 'string'],
                ['alert_id', 'string'],
                ['channel', 'string'],
                ['delivery_kind', 'string'],
                ['status', 'string'],
                ['attempts', 'int'],
                ['batch_id', 'string'],
                ['destination', 'string'],
                ['first_attempt_at', 'timestamp'],
                ['last_attempt_at', 'timestamp'],
                ['sent_at', 'timestamp'],
                ['error_message', 'string'],
            ],
            'partition': ['first_attempt_at', 'timestamp'],
            'cluster': ['channel', 'status'],
        },
        'lock_sweep_log': {
            'columns': [
                ['sweep_id', 'string'],
                ['sweep_time', 'timestamp'],
                ['business_date', 'date'],
                ['locks_expired_stale', 'int'],
                ['locks_expired_past_date', 'int'],
                ['total_locks_cleaned', 'int'],
                ['sweep_duration_seconds', 'float'],
                ['active_locks_after', 'int'],
                ['pages_affected', 'int'],
                ['parent_job_id', 'string'],
            ],
            'partition': ['sweep_time', 'timestamp'],
            'cluster': [],
        },
        'scheduled_job_runs': {
            'columns': [
                ['run_id', 'string'],
                ['job', 'string'],
                ['job_step', 'string'],
                ['slot_time', 'timestamp'],
                ['slot_local', 'string'],
                ['attempt', 'int'],
                ['status', 'string'],
                ['runner_id', 'string'],
                ['started_at', 'timestamp'],
                ['finished_at', 'timestamp'],
                ['exit_code', 'int'],
                ['job_id', 'string'],
                ['job_status', 'string'],
                ['message', 'string'],
            ],
            'partition': ['slot_time', 'timestamp'],
            'cluster': ['job', 'status'],
        },
        'creator_processing_errors': {
            'columns': [
                ['job_id', 'string'],
                ['page_name', 'string'],
                ['execution_date', 'date'],
                ['error_message', 'string'],
                ['error_time', 'timestamp'],
            ],
            'partition': ['error_time', 'timestamp'],
            'cluster': ['page_name'],
        },
        'schedule_generation_queue': {
            'columns': [
                ['page_name', 'string'],
                ['execution_date', 'date'],
                ['saturation_pct', 'float'],
                ['queued_at', 'timestamp'],
                ['processed_at', 'timestamp'],
                ['status', 'string'],
                ['schedule_id', 'string'],
                ['error_message', 'string'],
                ['queued_by_job_id', 'string'],
            ],
            'partition': ['execution_date', 'date'],
            'cluster': ['status', 'page_name'],
        },
    }) }}
{% endmacro %}


{#- The spec of one ops table; a compiler error naming the known tables otherwise. -#}
{% macro eros_ops_table(name) %}
    {% set spec = eros_ops_table_spec() %}
    {% if name not in spec %}
        {{ exceptions.raise_compiler_error('unknown ops table ' ~ name ~ ' (known: ' ~ (spec.keys() | sort | join(', ')) ~ ')') }}
    {% endif %}
    {{ return(spec[name]) }}
{% endmacro %}


{#- Engine type of an abstract spec type. -#}
{% macro eros_ops_type(kind) %}
    {% if kind == 'string' %}
        {{ return(dbt.type_string()) }}
    {% elif kind == 'timestamp' %}
        {{ return(dbt.type_timestamp()) }}
    {% elif kind == 'date' %}
        {{ return('date') }}
    {% elif kind == 'int' %}
        {{ return(dbt.type_bigint()) }}
    {% elif kind == 'float' %}
        {{ return(eros_type_float() | trim) }}
    {% elif kind == 'boolean' %}
        {{ return(dbt.type_boolean()) }}
    {% endif %}
    {{ exceptions.raise_compiler_error('unknown ops column type ' ~ kind) }}
{% endmacro %}


{#- `cast(null as <type>) as <column>` for every column of the table, comma separated:
    the body of a shell model. -#}
{% macro eros_ops_shell(name) -%}
    {%- for column in eros_ops_table(name).columns %}
        cast(null as {{ eros_ops_type(column[1]) }}) as {{ column[0] }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#- An empty, typed select with the table's columns (or the listed subset, in that order):
    the fallback of a consumer that reads an ops table before any job created it. -#}
{% macro eros_ops_empty_select(name, columns=none) -%}
    {%- set spec = eros_ops_table(name) -%}
    {%- set types = {} -%}
    {%- for column in spec.columns -%}{%- do types.update({column[0]: column[1]}) -%}{%- endfor -%}
    {%- set wanted = columns if columns is not none else (spec.columns | map('first') | list) -%}
    select
    {%- for column in wanted %}
        cast(null as {{ eros_ops_type(types[column]) }}) as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
    from (select 1 as one) as no_table
    where 1 = 0
{%- endmacro %}


{#- Model config of the BigQuery layout (none on other engines). -#}
{% macro eros_ops_partition_by(name) %}
    {% set spec = eros_ops_table(name) %}
    {{ return(eros_partition_by(spec.partition[0], spec.partition[1])) }}
{% endmacro %}

{% macro eros_ops_cluster_by(name) %}
    {% set spec = eros_ops_table(name) %}
    {{ return(eros_cluster_by(spec.cluster) if spec.cluster else none) }}
{% endmacro %}


{#- The relation of an ops table (through ref(), so custom schemas and aliases hold). -#}
{% macro eros_ops_relation(name) %}
    {% do eros_ops_table(name) %}
    {{ return(ref(name)) }}
{% endmacro %}


{#- CREATE TABLE of one ops table, per engine. -#}
{% macro eros_ops_create_sql(relation, name) %}
    {{ return(adapter.dispatch('eros_ops_create_sql', 'eros')(relation, name)) }}
{% endmacro %}

{#- `<column> <type>` for every column of the table, comma separated. -#}
{% macro eros_ops_column_definitions(name) -%}
    {%- for column in eros_ops_table(name).columns %}
        {{ column[0] }} {{ eros_ops_type(column[1]) }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{% macro default__eros_ops_create_sql(relation, name) -%}
    create table if not exists {{ relation }} ({{ eros_ops_column_definitions(name) }}
    )
{%- endmacro %}

{% macro bigquery__eros_ops_create_sql(relation, name) -%}
    {%- set spec = eros_ops_table(name) -%}
    create table if not exists {{ relation }} ({{ eros_ops_column_definitions(name) }}
    )
    partition by {{ 'date(' ~ spec.partition[0] ~ ')' if spec.partition[1] == 'timestamp' else spec.partition[0] }}
    {%- if spec.cluster %}
    cluster by {{ spec.cluster | join(', ') }}
    {%- endif %}
{%- endmacro %}


{#- Create every missing ops table (or the listed ones). Called at on-run-start of every
    build / run and by the run-operations that write ops tables. Existing tables are left
    as they are (their models add new columns on the next build). Returns the names of the
    tables it created. -#}
{% macro eros_ensure_ops_tables(names=none) %}
    {% set created = [] %}
    {% if not execute %}
        {{ return(created) }}
    {% endif %}
    {% set spec = eros_ops_table_spec() %}
    {% set schemas_done = [] %}
    {% for name in (names if names is not none else spec.keys() | list) %}
        {% set declared = eros_ops_relation(name) %}
        {% if eros_existing_relation(declared) is none %}
            {% set schema_key = (declared.database or '') ~ '.' ~ declared.schema %}
            {% if schema_key not in schemas_done %}
                {% do adapter.create_schema(api.Relation.create(database=declared.database, schema=declared.schema)) %}
                {% do schemas_done.append(schema_key) %}
            {% endif %}
            {% set relation = api.Relation.create(database=declared.database, schema=declared.schema, identifier=declared.identifier, type='table') %}
            {% do run_query(eros_ops_create_sql(relation, name)) %}
            {% do adapter.cache_added(relation) %}
            {% do created.append(name) %}
        {% endif %}
    {% endfor %}
    {% if created %}
        {% do eros_commit() %}
    {% endif %}
    {{ return(created) }}
{% endmacro %}
