{#-
  Lock sweeps (lock_sweep_log) of the last health_history_days days up to as_of.
  Health input (macros/health/health_inputs.sql): a typed empty select while the job
  that writes the table has never run. Carries the health data tests (tag health).
-#}

with

lock_sweeps as (
    {{ eros_health_input('lock_sweeps') }}
),

final as (

    select * from lock_sweeps

)

select * from final
