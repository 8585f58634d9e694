{#-
  Circuit breaker of the daily job (DOMAIN.md): one row per page that failed validation
  in this run. Warns from the first failed page; errors at var circuit_breaker_failed_pages
  (default 5), which makes `dbt build` skip schedule_generation_queue, and the on-run-end
  hook marks the run FAILED with a CRITICAL alert.
-#}
{{
    config(
        severity='error',
        warn_if='>=1',
        error_if='>=' ~ var('circuit_breaker_failed_pages'),
        tags=['daily', 'circuit_breaker'],
        meta={'owner': 'analytics-engineering', 'alert_rule': 'daily_automation_failed'},
    )
}}

select
    job_id,
    page_name,
    error_message
from {{ ref('creator_processing_errors') }}
where job_id = '{{ invocation_id }}'
