{#-
  One row: when mass_messages was last loaded and how that was measured (macros/health/source_freshness.sql).
  Health input (macros/health/health_inputs.sql): a typed empty select while the job
  that writes the table has never run. Carries the health data tests (tag health).
-#}

with

source_loads as (
    {{ eros_health_input('source_loads') }}
),

final as (

    select * from source_loads

)

select * from final
