{#-
  History of the daily per-page analysis: one row per (execution_date, page_name).
  Re-running a date replaces that date's rows (merge on the key); other dates are kept.
-#}
{{
    config(
        materialized='incremental',
        full_refresh=false,
        incremental_strategy='merge',
        unique_key=['execution_date', 'page_name'],
        on_schema_change='append_new_columns',
        partition_by=eros_partition_by('execution_date', 'date'),
        cluster_by=eros_cluster_by(['page_name']),
    )
}}

with

analysis as (

    select * from {{ ref('int_pages__daily_analysis') }}

),

final as (

    select
        analysis.*,
        '{{ invocation_id }}' as job_id,
        {{ eros_timestamp_literal(eros_run_started()) }} as analysed_at
    from analysis

)

select * from final
