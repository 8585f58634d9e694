{{
    config(
        tags=['health'],
        severity='warn',
        store_failures=true,
        meta={
            'owner': 'eros-analytics',
            'severity': 'WARNING',
            'alert_rule': 'page_failure_rate_high catches the day; this test the pattern',
        },
    )
}}
-- Health check 5: the measure recurring_page_failures of health_measures (pages that failed
-- validation health_recurring_failure_count (3) or more times in the last
-- health_recurring_failure_days (7) days before as_of; the detail names them).
{{ eros_health_measure_breaches(ref('health_measures'), 'recurring_page_failures', 'WARN') }}
