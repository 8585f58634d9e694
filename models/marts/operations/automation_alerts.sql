{#-
  Alerts raised by the jobs and the health monitor. This model only defines the table:
  rows are appended by the job hooks (macros/automation/job_runs.sql) and run-operations.
  Alerting (issue 7) appended nullable columns (on_schema_change append_new_columns, so
  an existing table gains them on its next build): rule-raised alerts carry rule_id,
  status OPEN/RESOLVED and the observed condition value (macros/alerting/).
-#}
{{
    config(
        materialized='incremental',
        full_refresh=false,
        incremental_strategy='merge',
        unique_key='alert_id',
        on_schema_change='append_new_columns',
        partition_by=eros_ops_partition_by('automation_alerts'),
        cluster_by=eros_ops_cluster_by('automation_alerts'),
        contract={'enforced': true},
    )
}}

with

final as (

    select
        {{ eros_ops_shell('automation_alerts') }}

)

select * from final
where 1 = 0
