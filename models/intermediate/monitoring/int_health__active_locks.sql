{#-
  Active caption locks as they are now (one row per lock).
  Health input (macros/health/health_inputs.sql): a typed empty select while the job
  that writes the table has never run. Carries the health data tests (tag health).
-#}

with

active_locks as (
    {{ eros_health_input('active_locks') }}
),

final as (

    select * from active_locks

)

select * from final
