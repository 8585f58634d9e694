{#-
  Health check 3: lock cleanup per LA day over the last 7 days: sweeps, locks cleaned by
  reason, average cleaned per sweep (HIGH_VOLUME above 100, MODERATE above 50, else
  NORMAL; HIGH_VOLUME above the threshold of rule lock_cleanup_volume_high,
  MODERATE above var health_lock_cleanup_moderate) and sweep durations.
-#}
{%- set now = eros_health_now() -%}

with

sweeps as (

    select * from {{ ref('lock_sweep_log') }}
    where
        sweep_time >= {{ eros_timestamp_add_hours(now, -24 * 8) }}
        and sweep_time <= {{ now }}

),

dated as (

    select
        {{ eros_to_local_date('sweep_time') }} as sweep_date_la,
        total_locks_cleaned,
        locks_expired_past_date,
        locks_expired_stale,
        sweep_duration_seconds
    from sweeps

),

by_day as (

    select
        sweep_date_la,
        count(*) as sweeps,
        sum(total_locks_cleaned) as locks_cleaned,
        sum(locks_expired_past_date) as locks_expired_past_date,
        sum(locks_expired_stale) as locks_expired_stale,
        avg(cast(total_locks_cleaned as {{ eros_type_float() }})) as avg_cleaned_per_sweep,
        max(sweep_duration_seconds) as max_sweep_duration_seconds
    from dated
    where sweep_date_la >= {{ eros_date_add_days(eros_to_local_date(now), -6) }}
    group by sweep_date_la

),

final as (

    select
        sweep_date_la,
        sweeps,
        locks_cleaned,
        locks_expired_past_date,
        locks_expired_stale,
        round(avg_cleaned_per_sweep, 1) as avg_cleaned_per_sweep,
        case
            when avg_cleaned_per_sweep > {{ eros_health_level('lock_cleanup_per_sweep', 'warn') }} then 'HIGH_VOLUME'
            when avg_cleaned_per_sweep > {{ var('health_lock_cleanup_moderate') }} then 'MODERATE'
            else 'NORMAL'
        end as volume_status,
        round(max_sweep_duration_seconds, 2) as max_sweep_duration_seconds
    from by_day

)

select * from final
order by sweep_date_la desc
