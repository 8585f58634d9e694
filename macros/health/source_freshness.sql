{#-
  When was mass_messages last loaded? ("by the load, not only by sending_time": real data
  arrives in weekly batches, so the newest sending_time of a healthy table can be a week
  old, while a stuck loader shows up at once in the load time.)

  Measured, in this order:
    1. var mass_messages_loaded_at_column (e.g. _loaded_at, _fivetran_synced): the newest
       value of that column over the rows of the last health_history_days days of sends;
    2. BigQuery: the table's last modification time (`<dataset>.__TABLES__`, free metadata;
       the project never writes to mass_messages, so only loads move it);
    3. DuckDB: the newest row of `<source schema>.eros_load_log` for the table (written by
       eros.loaders.load_duckdb on every load: DuckDB keeps no modification time);
    4. otherwise the newest sending_time of the same bounded window (method sending_time).

  Used by the source freshness of mass_messages (`loaded_at_query`, `dbt source
  freshness`, judged against the warehouse clock) and by the health scorecard (judged
  against eros_as_of(); `until` then drops loads recorded after it, except for table
  metadata, which keeps only the latest modification).
  Returns {'sql': a one-row, one-column select of a naive UTC timestamp, 'method': name}.
-#}
{% macro eros_mass_messages_load_marker(source_relation, until=none) %}
    {% set window = eros_sending_time_window('sending_time', -1 * (var('health_history_days', 35) | int), 1) %}
    {% set column = var('mass_messages_loaded_at_column', '') %}
    {% if column %}
        {% set sql %}
            select max({{ column }}) from {{ source_relation }}
            where {{ window }}
            {% if until is not none %}and {{ column }} <= {{ eros_timestamp_literal(until) }}{% endif %}
        {% endset %}
        {{ return({'sql': sql, 'method': 'column ' ~ column}) }}
    {% endif %}
    {% set marker = adapter.dispatch('eros_load_marker_from_metadata', 'eros')(source_relation, until) %}
    {% if marker is not none %}
        {{ return(marker) }}
    {% endif %}
    {% set sql %}
        select max(sending_time) from {{ source_relation }}
        where {{ window }}
        {% if until is not none %}and sending_time <= {{ eros_timestamp_literal(until) }}{% endif %}
    {% endset %}
    {{ return({'sql': sql, 'method': 'sending_time'}) }}
{% endmacro %}


{% macro default__eros_load_marker_from_metadata(source_relation, until) %}
    {% if not execute %}
        {{ return(none) }}
    {% endif %}
    {% set log = adapter.get_relation(database=source_relation.database, schema=source_relation.schema, identifier='eros_load_log') %}
    {% if log is none %}
        {{ return(none) }}
    {% endif %}
    {% set sql %}
        select max(loaded_at) from {{ log }}
        where table_name = {{ eros_sql_string(source_relation.identifier) }}
        {% if until is not none %}and loaded_at <= {{ eros_timestamp_literal(until) }}{% endif %}
    {% endset %}
    {{ return({'sql': sql, 'method': 'eros_load_log'}) }}
{% endmacro %}


{% macro bigquery__eros_load_marker_from_metadata(source_relation, until) %}
    {#- The local emulator has no __TABLES__ (docs/bigquery-emulator-gaps.md, gap 14):
        there the newest sending_time stands in. -#}
    {% if eros_on_bq_emulator() %}
        {{ return(none) }}
    {% endif %}
    {% set sql %}
        select timestamp_millis(last_modified_time)
        from `{{ source_relation.database }}.{{ source_relation.schema }}.__TABLES__`
        where table_id = {{ eros_sql_string(source_relation.identifier) }}
    {% endset %}
    {{ return({'sql': sql, 'method': 'table metadata'}) }}
{% endmacro %}


{#- loaded_at_query of the mass_messages source freshness (rendered at run time). -#}
{% macro eros_mass_messages_loaded_at_query(source_relation) %}
    {{ return(eros_mass_messages_load_marker(source_relation).sql) }}
{% endmacro %}
