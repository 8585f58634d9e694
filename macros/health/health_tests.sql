{#-
  Health data tests (tag health) on the measures model health_measures (issue 11): a test
  gives the verdict of one measure at one level; it holds no threshold of its own (the
  levels are in health_measures, see macros/health/health_measures.sql).

  The failing rows are the levels the measure breaches at or above `at_level`: one row at
  WARN, two (WARN and FAIL) at FAIL. So a test with severity warn reports a WARN, one
  with severity error a FAIL, and a test with warn_if '>0' / error_if '>1' reports both
  levels of one measure. Each row carries the measure's observed value, threshold text,
  detail and subject (store_failures keeps them in the audit schema).

  The test also reads system_health_scorecard, so it runs after it: a failing FAIL-level
  test then never makes `dbt build` skip the scorecard (tests block only the models built
  from everything they read) nor alert_rule_conditions.
-#}

{% macro eros_health_level_rank(level) -%}
    {{ {'PASS': 0, 'WARN': 1, 'FAIL': 2}.get(level | upper, 3) }}
{%- endmacro %}


{% macro eros_health_measure_breaches(measures_relation, measure_id, at_level='WARN') %}
with

levels as (

    select 'WARN' as breached_level, 1 as level_rank
    union all
    select 'FAIL' as breached_level, 2 as level_rank

),

measure as (

    select
        *,
        case status when 'FAIL' then 2 when 'WARN' then 1 else 0 end as status_rank
    from {{ measures_relation }}
    where measure_id = '{{ measure_id }}'

),

final as (

    select
        measure.measure_id,
        levels.breached_level,
        measure.status,
        measure.observed_value,
        measure.unit,
        measure.threshold,
        measure.detail,
        measure.subject_id,
        measure.measured_at
    from measure
    inner join levels
        on levels.level_rank <= measure.status_rank
    where levels.level_rank >= {{ eros_health_level_rank(at_level) }}

)

select * from final
{% endmacro %}


{% test eros_health_measure(model, measure_id, at_level='WARN') %}
    {%- set scorecard = ref('system_health_scorecard') -%}
    {{ eros_health_measure_breaches(model, measure_id, at_level) }}
{% endtest %}


{#- A level of a measure (warn / fail / info / window_minutes / age) as a number, for SQL
    outside the measures model that classifies by the same levels (the health analyses).
    Reads the same home as health_measures: the seed alert_rules or the var. -#}
{% macro eros_health_level(measure_id, level) %}
    {% set rules = ref('alert_rules') %}
    {% if not execute %}
        {{ return(0) }}
    {% endif %}
    {% set value = eros_health_measure_levels(rules).get(measure_id, {}).get(level) %}
    {% if value is none %}
        {{ exceptions.raise_compiler_error('measure ' ~ measure_id ~ ' has no ' ~ level ~ ' level') }}
    {% endif %}
    {{ return(value) }}
{% endmacro %}
