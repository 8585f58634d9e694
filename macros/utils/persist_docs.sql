{#-
  Descriptions as table and column comments (the +persist_docs of dbt_project.yml).

  BigQuery (production) keeps dbt-bigquery's behaviour: the descriptions of schema.yml are
  on every table and column in the console.

  DuckDB (the embedded default): dbt re-writes every comment on every run of every model,
  views and incremental no-ops included: 129 statements in an empty-data daily run, about
  2.5-3 of its 14-15 CPU s (`dbt build --selector daily`, measured with and without). The
  descriptions stay in dbt docs, the manifest and Elementary's catalogue; var
  eros_duckdb_persist_docs: true writes the comments as dbt does.
-#}
{% macro duckdb__persist_docs(relation, model, for_relation, for_columns) %}
    {% if var('eros_duckdb_persist_docs', false) | as_bool %}
        {% do default__persist_docs(relation, model, for_relation, for_columns) %}
    {% endif %}
{% endmacro %}
