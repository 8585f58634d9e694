{#-
  One row per lock sweep (DOMAIN.md "Lock sweep"). This model only defines the table:
  rows are appended by the `sweep_locks` run-operation (macros/locks/sweep_locks.sql),
  inside the same transaction that deactivates the locks, so a row exists exactly when
  the sweep's changes were committed. A dry run writes no row.
-#}
{{
    config(
        materialized='incremental',
        full_refresh=false,
        incremental_strategy='merge',
        unique_key='sweep_id',
        on_schema_change='append_new_columns',
        partition_by=eros_partition_by('sweep_time', 'timestamp'),
        contract={'enforced': true},
    )
}}

with

final as (

    select
        cast(null as {{ dbt.type_string() }}) as sweep_id,
        cast(null as {{ dbt.type_timestamp() }}) as sweep_time,
        cast(null as date) as business_date,
        cast(null as {{ dbt.type_bigint() }}) as locks_expired_stale,
        cast(null as {{ dbt.type_bigint() }}) as locks_expired_past_date,
        cast(null as {{ dbt.type_bigint() }}) as total_locks_cleaned,
        cast(null as {{ eros_type_float() }}) as sweep_duration_seconds,
        cast(null as {{ dbt.type_bigint() }}) as active_locks_after,
        cast(null as {{ dbt.type_bigint() }}) as pages_affected,
        cast(null as {{ dbt.type_string() }}) as parent_job_id

)

select * from final
where 1 = 0
