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
        partition_by=eros_partition_by('alert_time', 'timestamp'),
        cluster_by=eros_cluster_by(['alert_level', 'alert_source']),
        contract={'enforced': true},
    )
}}

with

final as (

    select
        cast(null as {{ dbt.type_string() }}) as alert_id,
        cast(null as {{ dbt.type_timestamp() }}) as alert_time,
        cast(null as {{ dbt.type_string() }}) as alert_level,
        cast(null as {{ dbt.type_string() }}) as alert_source,
        cast(null as {{ dbt.type_string() }}) as alert_message,
        cast(null as {{ dbt.type_string() }}) as job_id,
        cast(null as {{ dbt.type_boolean() }}) as acknowledged,
        cast(null as {{ dbt.type_timestamp() }}) as acknowledged_at,
        cast(null as {{ dbt.type_string() }}) as acknowledged_by,
        cast(null as {{ dbt.type_string() }}) as rule_id,
        cast(null as {{ dbt.type_string() }}) as status,
        cast(null as {{ eros_type_float() }}) as condition_value,
        cast(null as {{ eros_type_float() }}) as condition_threshold,
        cast(null as {{ dbt.type_timestamp() }}) as condition_cleared_at,
        cast(null as {{ dbt.type_timestamp() }}) as resolved_at

)

select * from final
where 1 = 0
