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
        partition_by=eros_ops_partition_by('lock_sweep_log'),
        contract={'enforced': true},
    )
}}

with

final as (

    select
        {{ eros_ops_shell('lock_sweep_log') }}

)

select * from final
where 1 = 0
