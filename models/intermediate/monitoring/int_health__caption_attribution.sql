{#-
  caption_attribution_daily rows of the health_attribution_window_days LA days before execution_date.
  Health input (macros/health/health_inputs.sql): a typed empty select while the job
  that writes the table has never run. Carries the health data tests (tag health).
-#}

with

caption_attribution as (
    {{ eros_health_input('caption_attribution') }}
),

final as (

    select * from caption_attribution

)

select * from final
