{#-
  Physical layout configs that only BigQuery understands. dbt-duckdb gives partition_by
  its own meaning (Hive-partitioned external files), so on every other engine these
  return none and the config is left out.
-#}

{% macro eros_partition_by(field, data_type='date') %}
    {% if target.type == 'bigquery' %}
        {{ return({'field': field, 'data_type': data_type, 'granularity': 'day'}) }}
    {% endif %}
    {{ return(none) }}
{% endmacro %}


{% macro eros_cluster_by(columns) %}
    {% if target.type == 'bigquery' %}
        {{ return(columns) }}
    {% endif %}
    {{ return(none) }}
{% endmacro %}
