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
