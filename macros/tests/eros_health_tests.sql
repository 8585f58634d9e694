{#-
  Generic data test of the health scorecard: the model has exactly `expected` rows.
  (The health checks themselves are tests of health_measures: macros/health/health_tests.sql.)
-#}


{#- Fails (one row) when the model does not have exactly `expected` rows. -#}
{% test eros_row_count_equals(model, expected) %}

with

counted as (

    select count(*) as row_count
    from {{ model }}

)

select * from counted
where row_count != {{ expected }}

{% endtest %}
