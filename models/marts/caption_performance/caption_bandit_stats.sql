{#-
  Bandit statistics per (page_name, caption_id), read by the schedule builder
  (DOMAIN.md "Caption performance", issue 4). Recomputed in full on every run from the
  daily grain (int_caption_performance__daily) of the last caption_stats_history_days LA
  days up to execution_date, so two runs for the same execution_date over the same data
  give the same numbers.

  - decay: a day's successes and failures weigh 0.5 ^ (age / 28) (var
    caption_decay_half_life_days), age = execution_date - the message's LA day, in days.
    The reference is the execution date, never the wall clock.
  - successes / failures: the Beta posterior under a Beta(1, 1) prior:
    1 + decayed successes, 1 + decayed failures (a caption never classified has 1 / 1).
  - n = decayed successes + decayed failures (prior excluded). Wilson 95% bounds (z =
    caption_wilson_z) on the decayed counts; n = 0 gives (0, 1).
    exploration_score = 1 / sqrt(n + 1).
  - total_observations: messages classified as success or failure (not decayed).
  - total_revenue: earnings of all attributed messages; avg_emv: mean earnings per
    recipient of the messages with recipients (USD); avg_conversion_rate: mean purchases
    per recipient (purchased_count, else earnings / price). Not decayed.
  - last_used: the pair's latest sending_time. last_updated: start of the run that
    recomputed the row; every row is recomputed on every run, so it moves on every run
    while the numbers only change when the data or the execution date changes.
  - performance_percentile: 100 * percent_rank of avg_emv within the page (0 lowest,
    100 highest); NULL when avg_emv is NULL.
  - policy inputs (issue 12, read by caption_recommendations): decayed_recipients and
    decayed_purchases (same decay weight), purchase_recipients and purchases (not decayed),
    avg_price (mean PPV price of the pair's messages, USD).
-#}
{%- set history_days = var('caption_stats_history_days') | int -%}
{%- set z = var('caption_wilson_z') | float -%}
{{
    config(
        materialized='table',
        cluster_by=eros_cluster_by(['page_name', 'caption_id']),
        contract={'enforced': true},
    )
}}

with

daily as (

    select * from {{ ref('int_caption_performance__daily') }}
    where
        sending_date_la >= {{ eros_exec_date_plus(-1 * history_days) }}
        and sending_date_la <= {{ eros_execution_date_sql() }}

),

weighted as (

    select
        daily.*,
        {{ eros_decay_weight(dbt.datediff('sending_date_la', eros_execution_date_sql(), 'day'), var('caption_decay_half_life_days')) }}
            as decay_weight
    from daily

),

aggregated as (

    select
        page_name,
        caption_id,
        sum(successes * decay_weight) as decayed_successes,
        sum(failures * decay_weight) as decayed_failures,
        sum(successes + failures) as total_observations,
        sum(total_earnings) as total_revenue,
        sum(sum_conversion_rate) as sum_conversion_rate,
        sum(conversion_observations) as conversion_observations,
        sum(sum_earnings_per_recipient) as sum_earnings_per_recipient,
        sum(messages_with_recipients) as messages_with_recipients,
        sum(coalesce(purchase_recipients, 0) * decay_weight) as decayed_recipients,
        sum(coalesce(purchases, 0) * decay_weight) as decayed_purchases,
        sum(coalesce(purchase_recipients, 0)) as purchase_recipients,
        sum(coalesce(purchases, 0)) as purchases,
        sum(coalesce(sum_price, 0)) as sum_price,
        sum(coalesce(price_observations, 0)) as price_observations,
        max(last_sending_time) as last_used
    from weighted
    group by page_name, caption_id
    having sum(messages) > 0

),

scored as (

    select
        page_name,
        caption_id,
        round(decayed_successes, 9) as decayed_successes,
        round(decayed_failures, 9) as decayed_failures,
        total_observations,
        total_revenue,
        case
            when conversion_observations > 0 then sum_conversion_rate / conversion_observations
        end as avg_conversion_rate,
        case
            when messages_with_recipients > 0 then sum_earnings_per_recipient / messages_with_recipients
        end as avg_emv,
        messages_with_recipients > 0 as has_emv,
        last_used,
        decayed_recipients,
        decayed_purchases,
        purchase_recipients,
        purchases,
        case when price_observations > 0 then sum_price / price_observations end as avg_price
    from aggregated

),

bounded as (

    select
        scored.*,
        {{ eros_wilson_lower('decayed_successes', 'decayed_failures', z) }} as confidence_lower_bound,
        {{ eros_wilson_upper('decayed_successes', 'decayed_failures', z) }} as confidence_upper_bound,
        1 / sqrt(decayed_successes + decayed_failures + 1) as exploration_score,
        case
            when avg_emv is not null then 100 * percent_rank() over (
                partition by page_name, has_emv
                order by avg_emv
            )
        end as performance_percentile
    from scored

),

final as (

    select
        cast(page_name as {{ dbt.type_string() }}) as page_name,
        cast(caption_id as {{ dbt.type_bigint() }}) as caption_id,
        cast(round(1 + decayed_successes, 6) as {{ eros_type_float() }}) as successes,
        cast(round(1 + decayed_failures, 6) as {{ eros_type_float() }}) as failures,
        cast(total_observations as {{ dbt.type_bigint() }}) as total_observations,
        cast(round(total_revenue, 4) as {{ eros_type_float() }}) as total_revenue,
        cast(round(avg_conversion_rate, 10) as {{ eros_type_float() }}) as avg_conversion_rate,
        cast(round(avg_emv, 10) as {{ eros_type_float() }}) as avg_emv,
        cast(round(confidence_lower_bound, 6) as {{ eros_type_float() }}) as confidence_lower_bound,
        cast(round(confidence_upper_bound, 6) as {{ eros_type_float() }}) as confidence_upper_bound,
        cast(round(exploration_score, 6) as {{ eros_type_float() }}) as exploration_score,
        cast(last_used as {{ dbt.type_timestamp() }}) as last_used,
        {{ eros_timestamp_literal(eros_run_started()) }} as last_updated,
        cast(round(performance_percentile, 4) as {{ eros_type_float() }}) as performance_percentile,
        cast(round(decayed_recipients, 6) as {{ eros_type_float() }}) as decayed_recipients,
        cast(round(decayed_purchases, 9) as {{ eros_type_float() }}) as decayed_purchases,
        cast(purchase_recipients as {{ dbt.type_bigint() }}) as purchase_recipients,
        cast(round(purchases, 9) as {{ eros_type_float() }}) as purchases,
        cast(round(avg_price, 6) as {{ eros_type_float() }}) as avg_price
    from bounded

)

select * from final
