{#-
  Generic data tests of the health checks (issue 6). "Now" is eros_as_of() (var
  as_of_timestamp, default the run's start), so a test can be replayed at any moment.
  The thresholds are test arguments taken from vars; the level is the test's severity
  (and warn_if / error_if for counts), set in models/intermediate/monitoring/_monitoring__int_models.yml.
-#}


{#- Fails (one row) when the newest value of the column among the rows matching
    row_condition is older than max_age_hours before as_of, or when there is none. -#}
{% test eros_health_recency(model, column_name, max_age_hours, row_condition=none) %}

with

candidates as (

    select {{ column_name }} as observed_at
    from {{ model }}
    where
        {{ column_name }} <= {{ eros_as_of_sql() }}
        {% if row_condition %}and ({{ row_condition }}){% endif %}

),

newest as (

    select max(observed_at) as newest_value
    from candidates

),

final as (

    select
        newest_value,
        {{ eros_as_of_sql() }} as checked_at,
        {{ eros_hours_between('newest_value', eros_as_of_sql()) }} as hours_since,
        cast({{ max_age_hours }} as {{ eros_type_float() }}) as max_age_hours
    from newest
    where
        newest_value is null
        or newest_value < {{ eros_as_of_plus_hours(-1 * (max_age_hours | float)) }}

)

select * from final

{% endtest %}


{#- The rows matching row_condition (optionally only those whose column lies in the last
    within_hours before as_of, or is older than older_than_hours). One failing row per
    match, so warn_if / error_if thresholds count them. -#}
{% test eros_health_rows(model, column_name=none, within_hours=none, older_than_hours=none, row_condition=none) %}

select *
from {{ model }}
where
    1 = 1
    {% if row_condition %}and ({{ row_condition }}){% endif %}
    {% if column_name and within_hours is not none %}
    and {{ column_name }} > {{ eros_as_of_plus_hours(-1 * (within_hours | float)) }}
    and {{ column_name }} <= {{ eros_as_of_sql() }}
    {% endif %}
    {% if column_name and older_than_hours is not none %}
    and {{ column_name }} < {{ eros_as_of_plus_hours(-1 * (older_than_hours | float)) }}
    {% endif %}

{% endtest %}


{#- Fails (one row) when 100 * sum(numerator) / sum(denominator) is below min_pct. Nothing
    to measure (sum(denominator) = 0) passes. -#}
{% test eros_health_share_at_least(model, numerator, denominator, min_pct) %}

with

totals as (

    select
        sum({{ numerator }}) as numerator_total,
        sum({{ denominator }}) as denominator_total
    from {{ model }}

),

final as (

    select
        numerator_total,
        denominator_total,
        100.0 * numerator_total / denominator_total as observed_pct,
        cast({{ min_pct }} as {{ eros_type_float() }}) as min_pct
    from totals
    where
        denominator_total > 0
        and 100.0 * numerator_total / denominator_total < {{ min_pct }}

)

select * from final

{% endtest %}


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
