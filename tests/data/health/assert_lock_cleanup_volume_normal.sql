{{
    config(
        tags=['health'],
        severity='warn',
        store_failures=true,
        meta={
            'owner': 'eros-analytics',
            'severity': 'WARNING',
            'alert_rule': 'WARNING average cleaned per sweep over 6 h > 100 (cooldown 360 min)',
        },
    )
}}
-- Health check 3 as a test: the average number of locks cleaned per sweep over the last
-- health_lock_cleanup_window_hours (6) before as_of is above health_lock_cleanup_high_volume
-- (100): locks pile up faster than the schedule builder uses them. One row when it is.
{%- set hours = var('health_lock_cleanup_window_hours') | int %}

with

sweeps as (

    select * from {{ ref('int_health__lock_sweeps') }}
    where sweep_time > {{ eros_as_of_plus_hours(-hours) }}

),

volume as (

    select
        count(*) as sweeps,
        sum(total_locks_cleaned) as locks_cleaned,
        avg(cast(total_locks_cleaned as {{ eros_type_float() }})) as avg_cleaned_per_sweep
    from sweeps

)

select * from volume
where avg_cleaned_per_sweep > {{ var('health_lock_cleanup_high_volume') | int }}
