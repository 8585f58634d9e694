{#-
  How the valid PPV messages of each (page_name, LA day) were attributed to captions:
  by caption_id, by normalised text, or not at all (int_caption_performance__window_messages).
  Nothing is dropped silently: ppv_messages = attributed_by_caption_id + attributed_by_text
  + unmatched_messages. Same incremental window as int_caption_performance__daily (the
  lookback days are recomputed and merged; a page-day that lost all its messages is
  zeroed), so summing any range of days counts every message once.
-#}
{%- set window = eros_caption_window() -%}
{%- set out_from = eros_exec_date_plus(window.out_from_days) -%}
{%- set out_to = eros_exec_date_plus(window.to_days) -%}
{{
    config(
        materialized='incremental',
        incremental_strategy=eros_lookback_incremental().strategy,
        unique_key=['page_name', 'sending_date_la'],
        on_schema_change='append_new_columns',
        partition_by=eros_partition_by('sending_date_la', 'date'),
        cluster_by=eros_cluster_by(['page_name']),
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
        {{ eros_sending_time_window('sending_time', window.out_from_days, window.to_days) }}
        and sending_date_la >= {{ out_from }}
        and sending_date_la < {{ out_to }}

),

aggregated as (

    select
        page_name,
        sending_date_la,
        count(*) as ppv_messages,
        sum(case when attribution_method = 'caption_id' then 1 else 0 end) as attributed_by_caption_id,
        sum(case when attribution_method = 'text' then 1 else 0 end) as attributed_by_text,
        sum(case when attribution_method = 'unmatched' then 1 else 0 end) as unmatched_messages
    from messages
    group by page_name, sending_date_la

),

{% if is_incremental() %}
    vanished as (

        select
            existing.page_name,
            existing.sending_date_la
        from {{ this }} as existing
        left join aggregated
            on
                existing.page_name = aggregated.page_name
                and existing.sending_date_la = aggregated.sending_date_la
        where
            existing.sending_date_la >= {{ out_from }}
            and existing.sending_date_la < {{ out_to }}
            and existing.ppv_messages > 0
            and aggregated.page_name is null

    ),
{% endif %}

recomputed as (

    select * from aggregated
    {% if is_incremental() %}
        union all
        select
            page_name,
            sending_date_la,
            0 as ppv_messages,
            0 as attributed_by_caption_id,
            0 as attributed_by_text,
            0 as unmatched_messages
        from vanished
    {% endif %}

),

final as (

    select
        cast(page_name as {{ dbt.type_string() }}) as page_name,
        sending_date_la,
        cast(ppv_messages as {{ dbt.type_bigint() }}) as ppv_messages,
        cast(attributed_by_caption_id as {{ dbt.type_bigint() }}) as attributed_by_caption_id,
        cast(attributed_by_text as {{ dbt.type_bigint() }}) as attributed_by_text,
        cast(unmatched_messages as {{ dbt.type_bigint() }}) as unmatched_messages,
        cast(
            case
                when ppv_messages > 0
                    then 100.0 * (attributed_by_caption_id + attributed_by_text) / ppv_messages
            end as {{ eros_type_float() }}
        ) as attributed_pct,
        {{ eros_execution_date_sql() }} as execution_date,
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as job_id,
        {{ eros_timestamp_literal(eros_run_started()) }} as computed_at
    from recomputed

)

select * from final
