{#-
  Current state of every alert rule (issue 7): one row per rule of the seed alert_rules,
  evaluated at var as_of_timestamp (default: when the build started). The SQL is the
  macro eros_alert_conditions_sql (macros/alerting/alert_conditions.sql), which the
  run-operation evaluate_alert_rules also uses to raise and resolve alerts, so what this
  table shows is what the last evaluation at the same instant acted on.
  The measures read the base tables through eros_model_relation (a table that is not
  built yet makes its rules NO_SOURCE instead of failing the build).
-#}
-- depends_on: {{ ref('automation_alerts') }}
-- depends_on: {{ ref('etl_job_runs') }}
{{
    config(
        materialized='table',
    )
}}

{{ eros_alert_conditions_sql(ref('alert_rules'), eros_as_of()) }}
