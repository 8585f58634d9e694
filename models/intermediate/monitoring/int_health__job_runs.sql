{#-
  Job runs (etl_job_runs) of the last health_history_days days up to as_of.
  Health input (macros/health/health_inputs.sql): a typed empty select while the job
  that writes the table has never run. Carries the health data tests (tag health).
-#}

with

job_runs as (
    {{ eros_health_input('job_runs') }}
),

final as (

    select * from job_runs

)

select * from final
