{#-
  The health and alert measures (issue 11): one row per measure, computed at as_of
  (var as_of_timestamp, default the run's start). The one home of every measure:
  system_health_scorecard shows eight of them, alert_rule_conditions judges the alert
  rules on them, and the health data tests (tag health) give their verdicts on them.
  SQL and thresholds: macros/health/health_measures.sql (the levels of a measure an alert
  rule watches are read from the seed alert_rules; the others are vars).
  A job that never ran has no table: its measure reports it instead of failing the build.
-#}
{{
    config(
        materialized='table',
        tags=['alerts'],
    )
}}

{{ eros_health_measures_sql(eros_as_of(), ref('alert_rules')) }}
