{#-
  Per page: newest last_updated and last_used in caption_bandit_stats (rows updated after as_of left out).
  Health input (macros/health/health_inputs.sql): a typed empty select while the job
  that writes the table has never run. Carries the health data tests (tag health).
-#}

with

caption_feedback as (
    {{ eros_health_input('caption_feedback') }}
),

final as (

    select * from caption_feedback

)

select * from final
