{#-
  Incremental merge predicates that depend on the job parameters (parse once, issue 11).

  dbt fixes a model's config when it parses the project, and eros passes the execution
  date at execution time (eros_job_parameter), so a predicate computed in config() would
  keep the date of the last parse. Instead the config holds a permissive placeholder
  (eros_runtime_predicates_placeholder(): '1 = 1', so a merge is never wrong) and the model
  body, rendered again right before the model runs, swaps in the real predicates with
  eros_set_incremental_predicates([...]). The materialization reads the config after that
  (the same node), so the merge prunes on the run's own constants (BigQuery partitions).
-#}

{% macro eros_runtime_predicates_placeholder() %}
    {{ return(['1 = 1']) }}
{% endmacro %}


{% macro eros_set_incremental_predicates(predicates) %}
    {% if execute %}
        {% set current = config.get('incremental_predicates') %}
        {% if current is not none %}
            {% do current.clear() %}
            {% do current.extend(predicates) %}
        {% endif %}
    {% endif %}
    {{ return('') }}
{% endmacro %}


{#- How the models that recompute a lookback window on every run (int_caption_performance__daily,
    caption_attribution_daily) replace its keys: {'strategy': incremental_strategy, 'target_alias':
    the alias the adapter's statement gives the stored table, for incremental predicates}. Every
    key the run emits replaces the stored row and other rows stay, whichever the strategy.
    DuckDB: delete+insert (dbt-duckdb's alias DBT_INCREMENTAL_TARGET). Its MERGE updates rows in
    place, and updating rows that an earlier run had updated costs about a hundred times more:
    40 CPU s against 0.3 for the 231,398 keys of int_caption_performance__daily at 5,000 pages
    (issue 12's benchmark).
    BigQuery (default): merge (dbt's alias DBT_INTERNAL_DEST), pruned by the predicates. -#}
{% macro eros_lookback_incremental() %}
    {{ return(adapter.dispatch('eros_lookback_incremental', 'eros')()) }}
{% endmacro %}

{% macro default__eros_lookback_incremental() %}
    {{ return({'strategy': 'merge', 'target_alias': 'DBT_INTERNAL_DEST'}) }}
{% endmacro %}

{% macro duckdb__eros_lookback_incremental() %}
    {{ return({'strategy': 'delete+insert', 'target_alias': 'DBT_INCREMENTAL_TARGET'}) }}
{% endmacro %}
