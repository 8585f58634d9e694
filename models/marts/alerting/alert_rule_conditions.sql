{#-
  Current state of every alert rule (issue 7): one row per rule of the seed alert_rules,
  judged on the measures of health_measures at var as_of_timestamp (default: when the
  build started). The SQL is the macro eros_alert_conditions_sql
  (macros/alerting/alert_conditions.sql), which the run-operation evaluate_alert_rules also
  uses to raise and resolve alerts, so what this table shows is what an evaluation at the
  same instant acts on. A rule whose measure's table is not built yet is NO_SOURCE.
-#}
{{
    config(
        materialized='table',
    )
}}

{{ eros_alert_conditions_sql(ref('alert_rules'), eros_as_of(), ref('health_measures')) }}
