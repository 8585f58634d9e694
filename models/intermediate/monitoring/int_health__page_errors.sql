{#-
  Page validation failures (creator_processing_errors) of the last health_history_days days up to as_of.
  Health input (macros/health/health_inputs.sql): a typed empty select while the job
  that writes the table has never run. Carries the health data tests (tag health).
-#}

with

page_errors as (
    {{ eros_health_input('page_errors') }}
),

final as (

    select * from page_errors

)

select * from final
