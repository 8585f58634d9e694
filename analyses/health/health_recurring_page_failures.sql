{#-
  Health check 5: pages that failed validation 3 or more times (var
  health_recurring_failure_count) in the last 7 days (health_recurring_failure_days),
  with the first and last failure and the last reason.
-#}
{%- set now = eros_health_now() -%}
{%- set days = var('health_recurring_failure_days') | int -%}

with

errors as (

    select * from {{ ref('creator_processing_errors') }}
    where
        error_time > {{ eros_timestamp_add_hours(now, -24 * days) }}
        and error_time <= {{ now }}

),

ranked as (

    select
        page_name,
        error_time,
        error_message,
        row_number() over (partition by page_name order by error_time desc) as recency_rank
    from errors

),

per_page as (

    select
        page_name,
        count(*) as failures,
        min(error_time) as first_failure,
        max(error_time) as last_failure
    from ranked
    group by page_name

),

last_reason as (

    select
        page_name,
        error_message as last_error_message
    from ranked
    where recency_rank = 1

),

final as (

    select
        per_page.page_name,
        per_page.failures,
        per_page.first_failure,
        per_page.last_failure,
        last_reason.last_error_message
    from per_page
    inner join last_reason on per_page.page_name = last_reason.page_name
    where per_page.failures >= {{ var('health_recurring_failure_count') }}

)

select * from final
order by failures desc, page_name
