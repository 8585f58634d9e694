{#-
  Alerts (automation_alerts) of the last health_history_days days up to as_of; acknowledged NULL counts as false.
  Health input (macros/health/health_inputs.sql): a typed empty select while the job
  that writes the table has never run. Carries the health data tests (tag health).
-#}

with

alerts as (
    {{ eros_health_input('alerts') }}
),

final as (

    select * from alerts

)

select * from final
