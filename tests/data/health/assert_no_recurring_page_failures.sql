{{
    config(
        tags=['health'],
        severity='warn',
        store_failures=true,
        meta={
            'owner': 'eros-analytics',
            'severity': 'WARNING',
            'alert_rule': 'WARNING page failure rate > 10% over 24 h (cooldown 240 min) catches the day; this test the pattern',
        },
    )
}}
-- Health check 5: pages that failed validation health_recurring_failure_count (3) or more
-- times in the last health_recurring_failure_days (7) days before as_of. One row per page.
{%- set days = var('health_recurring_failure_days') | int %}

with

errors as (

    select * from {{ ref('int_health__page_errors') }}
    where error_time > {{ eros_as_of_plus_hours(-24 * days) }}

),

per_page as (

    select
        page_name,
        count(*) as failures,
        min(error_time) as first_failure,
        max(error_time) as last_failure
    from errors
    group by page_name

)

select * from per_page
where failures >= {{ var('health_recurring_failure_count') | int }}
