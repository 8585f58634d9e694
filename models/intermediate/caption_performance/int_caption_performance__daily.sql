{#-
  Daily grain of caption outcomes: one row per (page_name, caption_id, sending_date_la)
  for attributed valid PPV messages.

  Success rule (DOMAIN.md, issue 4): a message with recipients (sent_count > 0) is a
  success when its earnings per recipient (coalesce(earnings, 0) / sent_count) is strictly
  greater than its page's baseline, else a failure. The baseline of a message sent on LA
  day d is the median earnings per recipient of ALL the page's valid PPV messages with
  recipients (attributed or not) sent in the LA days [d - 30, d - 1]
  (var caption_success_baseline_days). It depends only on the data of those days, never on
  when the job runs, so re-runs are deterministic. A message with no recipients
  (sent_count 0 or NULL), or with no earlier message of its page in the window, counts as
  neither.

  Incremental: every run recomputes the days of eros_caption_window() (the lookback, 7
  days by default) from the raw rows and merges them on the key, so late rows and grown
  counters replace earlier figures and a message is never counted twice. The merge only
  touches those partitions (incremental_predicates). A key of the window that no longer
  has messages (a row quarantined since, an attribution that changed) is rewritten with
  zero counts. The first run (or --full-refresh) computes the bounded history.
  Policy inputs (issue 12): purchases (purchased_count, else earnings / price) and the
  recipients of the messages where purchases are known; sum and count of the PPV prices.
  execution_date / job_id / computed_at: the run that last (re)computed the row.
-#}
{%- set window = eros_caption_window() -%}
{%- set out_from = eros_exec_date_plus(window.out_from_days) -%}
{%- set out_to = eros_exec_date_plus(window.to_days) -%}
{{
    config(
        materialized='incremental',
        incremental_strategy=eros_lookback_incremental().strategy,
        unique_key=['page_name', 'caption_id', 'sending_date_la'],
        on_schema_change='append_new_columns',
        partition_by=eros_partition_by('sending_date_la', 'date'),
        cluster_by=eros_cluster_by(['page_name', 'caption_id']),
        incremental_predicates=eros_runtime_predicates_placeholder(),
    )
}}

{%- do eros_set_incremental_predicates([
    eros_lookback_incremental().target_alias ~ '.sending_date_la >= ' ~ eros_exec_date_plus(window.predicate_from_days),
]) %}

with

messages as (

    select * from {{ ref('int_caption_performance__window_messages') }}
    where
        {{ eros_sending_time_window('sending_time', window.read_from_days, window.to_days) }}

),

rated as (

    select
        page_name,
        caption_id,
        sending_date_la,
        sending_time,
        coalesce(earnings, 0) as earnings,
        sent_count,
        case
            when sent_count > 0 then coalesce(earnings, 0) / sent_count
        end as earnings_per_recipient,
        -- purchases = purchased_count, else earnings / price (NULL when neither is known)
        case
            when sent_count > 0 and purchased_count is not null then purchased_count / sent_count
            when sent_count > 0 and price > 0 then coalesce(earnings, 0) / price / sent_count
        end as conversion_rate,
        case
            when sent_count > 0 and purchased_count is not null then cast(purchased_count as {{ eros_type_float() }})
            when sent_count > 0 and price > 0 then coalesce(earnings, 0) / price
        end as purchases,
        case when price > 0 then price end as valid_price
    from messages

),

baselines as (

    {{ eros_page_trailing_median('rated', 'earnings_per_recipient', var('caption_success_baseline_days')) }}

),

classified as (

    select
        rated.*,
        baselines.trailing_median as baseline_earnings_per_recipient,
        case
            when rated.earnings_per_recipient is null or baselines.trailing_median is null then null
            when rated.earnings_per_recipient > baselines.trailing_median then 1
            else 0
        end as is_success
    from rated
    left join baselines
        on
            rated.page_name = baselines.page_name
            and rated.sending_date_la = baselines.sending_date_la
    where
        rated.caption_id is not null
        and rated.sending_date_la >= {{ out_from }}
        and rated.sending_date_la < {{ out_to }}

),

aggregated as (

    select
        page_name,
        caption_id,
        sending_date_la,
        count(*) as messages,
        sum(case when earnings_per_recipient is not null then 1 else 0 end) as messages_with_recipients,
        sum(case when is_success = 1 then 1 else 0 end) as successes,
        sum(case when is_success = 0 then 1 else 0 end) as failures,
        sum(coalesce(sent_count, 0)) as recipients,
        sum(earnings) as total_earnings,
        sum(coalesce(earnings_per_recipient, 0)) as sum_earnings_per_recipient,
        sum(coalesce(conversion_rate, 0)) as sum_conversion_rate,
        sum(case when conversion_rate is not null then 1 else 0 end) as conversion_observations,
        sum(coalesce(purchases, 0)) as purchases,
        sum(case when purchases is not null then sent_count else 0 end) as purchase_recipients,
        sum(coalesce(valid_price, 0)) as sum_price,
        sum(case when valid_price is not null then 1 else 0 end) as price_observations,
        max(baseline_earnings_per_recipient) as baseline_earnings_per_recipient,
        max(sending_time) as last_sending_time
    from classified
    group by page_name, caption_id, sending_date_la

),

{% if is_incremental() %}
    vanished as (

    -- keys of the recomputed days that have no message any more: zero them
        select
            existing.page_name,
            existing.caption_id,
            existing.sending_date_la
        from {{ this }} as existing
        left join aggregated
            on
                existing.page_name = aggregated.page_name
                and existing.caption_id = aggregated.caption_id
                and existing.sending_date_la = aggregated.sending_date_la
        where
            existing.sending_date_la >= {{ out_from }}
            and existing.sending_date_la < {{ out_to }}
            and existing.messages > 0
            and aggregated.page_name is null

    ),
{% endif %}

recomputed as (

    select * from aggregated
    {% if is_incremental() %}
        union all
        select
            page_name,
            caption_id,
            sending_date_la,
            0 as messages,
            0 as messages_with_recipients,
            0 as successes,
            0 as failures,
            0 as recipients,
            0 as total_earnings,
            0 as sum_earnings_per_recipient,
            0 as sum_conversion_rate,
            0 as conversion_observations,
            0 as purchases,
            0 as purchase_recipients,
            0 as sum_price,
            0 as price_observations,
            cast(null as {{ eros_type_float() }}) as baseline_earnings_per_recipient,
            cast(null as {{ dbt.type_timestamp() }}) as last_sending_time
        from vanished
    {% endif %}

),

final as (

    select
        cast(page_name as {{ dbt.type_string() }}) as page_name,
        cast(caption_id as {{ dbt.type_bigint() }}) as caption_id,
        sending_date_la,
        cast(messages as {{ dbt.type_bigint() }}) as messages,
        cast(messages_with_recipients as {{ dbt.type_bigint() }}) as messages_with_recipients,
        cast(successes as {{ dbt.type_bigint() }}) as successes,
        cast(failures as {{ dbt.type_bigint() }}) as failures,
        cast(recipients as {{ dbt.type_bigint() }}) as recipients,
        cast(total_earnings as {{ eros_type_float() }}) as total_earnings,
        cast(sum_earnings_per_recipient as {{ eros_type_float() }}) as sum_earnings_per_recipient,
        cast(sum_conversion_rate as {{ eros_type_float() }}) as sum_conversion_rate,
        cast(conversion_observations as {{ dbt.type_bigint() }}) as conversion_observations,
        cast(purchases as {{ eros_type_float() }}) as purchases,
        cast(purchase_recipients as {{ dbt.type_bigint() }}) as purchase_recipients,
        cast(sum_price as {{ eros_type_float() }}) as sum_price,
        cast(price_observations as {{ dbt.type_bigint() }}) as price_observations,
        cast(baseline_earnings_per_recipient as {{ eros_type_float() }}) as baseline_earnings_per_recipient,
        last_sending_time,
        {{ eros_execution_date_sql() }} as execution_date,
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as job_id,
        {{ eros_timestamp_literal(eros_run_started()) }} as computed_at
    from recomputed

)

select * from final
