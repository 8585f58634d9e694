{{
    config(
        tags=['health'],
        severity='warn',
        store_failures=true,
        meta={
            'owner': 'eros-analytics',
            'severity': 'WARNING',
            'alert_rule': 'lock_cleanup_volume_high',
        },
    )
}}
-- Health check 3 as a test: the measure lock_cleanup_per_sweep of health_measures (the
-- average number of locks cleaned per sweep over the window of the alert rule
-- lock_cleanup_volume_high, above its threshold): locks pile up faster than the schedule
-- builder uses them. One row when it does.
{{ eros_health_measure_breaches(ref('health_measures'), 'lock_cleanup_per_sweep', 'WARN') }}
