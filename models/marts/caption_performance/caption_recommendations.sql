{#-
  Per page, the top N captions the schedule builder should use next (issue 4), ranked 1..N.

  Pages: pages with a row in caption_bandit_stats whose latest PPV (last_used) falls in the
  active_window_days LA days up to execution_date.
  Candidates: bank captions whose usage_status is in caption_recommendation_usage_statuses
  (default available, moderate_recency; archived and any other status are never
  recommended), not in the 'bump' price tier (bump texts are not PPV captions), and not
  locked by the page recently: no assignment row of the page (active or not) on a caption
  with the same normalised text whose assigned_date or scheduled_send_date is on or after
  execution_date - caption_recommendation_lock_days (default 7; upcoming sends included).
  Ids sharing a normalised text are offered once per page: the one with the most decayed
  observations for the page, then the lowest caption_id.
  Selection (N = caption_recommendation_count, share = caption_recommendation_exploration_share):
  - EXPLOIT: candidates with n >= caption_exploration_max_observations (n = decayed
    observations, see caption_bandit_stats), best Wilson lower bound first (then avg_emv,
    then caption_id);
  - EXPLORE: candidates with fewer observations (never used ones included), in the order
    of md5(seed | page_name | caption_id) (var caption_recommendation_seed): deterministic
    for a seed, different across pages, no random().
  round(N * share) slots go to EXPLORE; a list too short leaves its slots to the other.
  The two lists are interleaved by relative position (with the default 16 + 4 the explore
  picks take ranks 5, 10, 15 and 20), so a builder taking only the first few still explores.
-#}
{%- set top_n = var('caption_recommendation_count') | int -%}
{%- set explore_quota = (top_n * (var('caption_recommendation_exploration_share') | float)) | round | int -%}
{%- set min_obs = var('caption_exploration_max_observations') | float -%}
{%- set statuses = var('caption_recommendation_usage_statuses') -%}
{%- set lock_days = var('caption_recommendation_lock_days') | int -%}
{%- set seed = var('caption_recommendation_seed') -%}
{{
    config(
        materialized='table',
        cluster_by=eros_cluster_by(['page_name']),
        contract={'enforced': true},
    )
}}

with

stats as (

    select * from {{ ref('caption_bandit_stats') }}

),

bank as (

    select * from {{ ref('int_caption_bank__normalised') }}

),

locks as (

    select * from {{ ref('stg_scheduler__caption_assignments') }}
    where
        assigned_date >= {{ eros_exec_date_plus(-1 * lock_days) }}
        or scheduled_send_date >= {{ eros_exec_date_plus(-1 * lock_days) }}

),

pages as (

    select page_name
    from stats
    group by page_name
    having max({{ eros_to_local_date('last_used') }}) >= {{ eros_exec_date_plus(-1 * (var('active_window_days') | int)) }}

),

usable_captions as (

    select
        caption_id,
        caption_text,
        coalesce(normalised_text, cast(caption_id as {{ dbt.type_string() }})) as text_key,
        price_tier,
        content_category
    from bank
    where
        usage_status in (
            {%- for status in statuses %}{{ eros_sql_string(status) }}{{ ", " if not loop.last }}{% endfor -%}
        )
        and coalesce(price_tier, '') != 'bump'

),

locked_texts as (

    select distinct
        locks.page_name,
        coalesce(bank.normalised_text, {{ eros_normalise_caption_text('locks.caption_text') }}) as text_key
    from locks
    left join bank
        on locks.caption_id = bank.caption_id

),

candidates as (

    select
        pages.page_name,
        usable_captions.caption_id,
        usable_captions.caption_text,
        usable_captions.text_key,
        usable_captions.price_tier,
        usable_captions.content_category,
        stats.confidence_lower_bound,
        stats.confidence_upper_bound,
        stats.exploration_score,
        stats.avg_emv,
        stats.total_observations,
        stats.performance_percentile,
        coalesce(stats.successes + stats.failures - 2, 0) as decayed_observations
    from pages
    cross join usable_captions
    left join locked_texts
        on pages.page_name = locked_texts.page_name
        and usable_captions.text_key = locked_texts.text_key
    left join stats
        on pages.page_name = stats.page_name
        and usable_captions.caption_id = stats.caption_id
    where locked_texts.page_name is null

),

one_per_text as (

    select *
    from (
        select
            candidates.*,
            row_number() over (
                partition by page_name, text_key
                order by decayed_observations desc, caption_id
            ) as text_rank
        from candidates
    ) as ranked_texts
    where text_rank = 1

),

ranked as (

    select
        one_per_text.*,
        decayed_observations >= {{ min_obs }} as is_exploit,
        row_number() over (
            partition by page_name, decayed_observations >= {{ min_obs }}
            order by
                case when decayed_observations >= {{ min_obs }} then confidence_lower_bound end desc,
                case when decayed_observations >= {{ min_obs }} then avg_emv end desc,
                case
                    when decayed_observations < {{ min_obs }}
                        then {{ dbt.hash(dbt.concat([eros_sql_string(seed | string), "'|'", 'page_name', "'|'", 'cast(caption_id as ' ~ dbt.type_string() ~ ')'])) }}
                end,
                caption_id
        ) as list_rank
    from one_per_text

),

list_sizes as (

    select
        page_name,
        sum(case when is_exploit then 1 else 0 end) as exploit_available,
        sum(case when is_exploit then 0 else 1 end) as explore_available
    from ranked
    group by page_name

),

quotas as (

    select
        page_name,
        least(explore_available, greatest({{ explore_quota }}, {{ top_n }} - exploit_available)) as explore_slots,
        least(exploit_available, {{ top_n }} - least(explore_available, greatest({{ explore_quota }}, {{ top_n }} - exploit_available))) as exploit_slots
    from list_sizes

),

picked as (

    select
        ranked.*,
        -- relative position in its own list, for interleaving
        cast(ranked.list_rank as {{ eros_type_float() }})
            / case when ranked.is_exploit then quotas.exploit_slots else quotas.explore_slots end as slot_position
    from ranked
    inner join quotas
        on ranked.page_name = quotas.page_name
    where
        (ranked.is_exploit and ranked.list_rank <= quotas.exploit_slots)
        or (not ranked.is_exploit and ranked.list_rank <= quotas.explore_slots)

),

final as (

    select
        {{ eros_execution_date_sql() }} as execution_date,
        cast(page_name as {{ dbt.type_string() }}) as page_name,
        cast(row_number() over (
            partition by page_name
            order by slot_position, case when is_exploit then 0 else 1 end, list_rank
        ) as {{ dbt.type_bigint() }}) as recommendation_rank,
        cast(caption_id as {{ dbt.type_bigint() }}) as caption_id,
        cast(caption_text as {{ dbt.type_string() }}) as caption_text,
        cast(price_tier as {{ dbt.type_string() }}) as price_tier,
        cast(content_category as {{ dbt.type_string() }}) as content_category,
        cast(case when is_exploit then 'EXPLOIT' else 'EXPLORE' end as {{ dbt.type_string() }}) as selection_reason,
        cast(coalesce(confidence_lower_bound, 0) as {{ eros_type_float() }}) as confidence_lower_bound,
        cast(coalesce(confidence_upper_bound, 1) as {{ eros_type_float() }}) as confidence_upper_bound,
        cast(coalesce(exploration_score, 1) as {{ eros_type_float() }}) as exploration_score,
        cast(avg_emv as {{ eros_type_float() }}) as avg_emv,
        cast(coalesce(total_observations, 0) as {{ dbt.type_bigint() }}) as total_observations,
        cast(performance_percentile as {{ eros_type_float() }}) as performance_percentile,
        cast({{ seed | int }} as {{ dbt.type_bigint() }}) as recommendation_seed,
        {{ eros_timestamp_literal(eros_run_started()) }} as generated_at,
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as job_id
    from picked

)

select * from final
