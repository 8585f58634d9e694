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
  Ids sharing a normalised text are offered once per page: among ids the page has
  statistics for, the one with the most decayed observations, then the lowest caption_id;
  a text the page never used is offered under its lowest usable caption_id.
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

bank_keyed as (

    select
        caption_id,
        caption_text,
        coalesce(normalised_text, cast(caption_id as {{ dbt.type_string() }})) as text_key,
        price_tier,
        content_category,
        (
            usage_status in (
                {%- for status in statuses %}{{ eros_sql_string(status) }}{{ ", " if not loop.last }}{% endfor -%}
            )
            and coalesce(price_tier, '') != 'bump'
        ) as is_usable
    from bank

),

locked_texts as (

    select distinct
        locks.page_name,
        coalesce(bank_keyed.text_key, {{ eros_normalise_caption_text('locks.caption_text') }}) as text_key
    from locks
    left join bank_keyed
        on locks.caption_id = bank_keyed.caption_id

),

-- captions the page has statistics for (any status): their texts are "seen" by the page
seen as (

    select
        stats.page_name,
        stats.caption_id,
        bank_keyed.text_key,
        bank_keyed.is_usable,
        stats.confidence_lower_bound,
        stats.confidence_upper_bound,
        stats.exploration_score,
        stats.avg_emv,
        stats.total_observations,
        stats.performance_percentile,
        stats.successes + stats.failures - 2 as decayed_observations
    from stats
    inner join pages
        on stats.page_name = pages.page_name
    inner join bank_keyed
        on stats.caption_id = bank_keyed.caption_id

),

-- one usable id per (page, text) among seen captions: most decayed observations, then lowest id
seen_candidates as (

    select *
    from (
        select
            seen.*,
            row_number() over (
                partition by seen.page_name, seen.text_key
                order by seen.decayed_observations desc, seen.caption_id asc
            ) as text_rank
        from seen
        left join locked_texts
            on
                seen.page_name = locked_texts.page_name
                and seen.text_key = locked_texts.text_key
        where
            seen.is_usable
            and locked_texts.page_name is null
    ) as ranked_seen
    where text_rank = 1

),

seen_texts as (

    select distinct
        page_name,
        text_key
    from seen
    where is_usable

),

-- never-observed texts: one usable id per text (the lowest), for every page
unseen_captions as (

    select
        text_key,
        min(caption_id) as caption_id
    from bank_keyed
    where is_usable
    group by text_key

),

unseen_candidates as (

    select
        pages.page_name,
        unseen_captions.caption_id,
        {{ dbt.hash(dbt.concat([eros_sql_string(seed | string), "'|'", 'pages.page_name', "'|'", 'cast(unseen_captions.caption_id as ' ~ dbt.type_string() ~ ')'])) }} as explore_hash
    from pages
    cross join unseen_captions
    left join seen_texts
        on
            pages.page_name = seen_texts.page_name
            and unseen_captions.text_key = seen_texts.text_key
    left join locked_texts
        on
            pages.page_name = locked_texts.page_name
            and unseen_captions.text_key = locked_texts.text_key
    where
        seen_texts.page_name is null
        and locked_texts.page_name is null

),

-- only the first N of them by hash can ever be picked
unseen_top as (

    {{ eros_top_n_per_group('unseen_candidates', 'page_name', 'caption_id', 'explore_hash', top_n) }}

),

candidates as (

    select
        page_name,
        caption_id,
        confidence_lower_bound,
        confidence_upper_bound,
        exploration_score,
        avg_emv,
        total_observations,
        performance_percentile,
        decayed_observations
    from seen_candidates
    union all
    select
        page_name,
        caption_id,
        cast(0 as {{ eros_type_float() }}) as confidence_lower_bound,
        cast(1 as {{ eros_type_float() }}) as confidence_upper_bound,
        cast(1 as {{ eros_type_float() }}) as exploration_score,
        cast(null as {{ eros_type_float() }}) as avg_emv,
        cast(0 as {{ dbt.type_bigint() }}) as total_observations,
        cast(null as {{ eros_type_float() }}) as performance_percentile,
        cast(0 as {{ eros_type_float() }}) as decayed_observations
    from unseen_top

),

classified as (

    select
        candidates.*,
        candidates.decayed_observations >= {{ min_obs }} as is_exploit
    from candidates

),

ranked as (

    select
        classified.*,
        row_number() over (
            partition by classified.page_name, classified.is_exploit
            order by
                case when classified.is_exploit then classified.confidence_lower_bound end desc,
                case when classified.is_exploit then classified.avg_emv end desc,
                case
                    when not classified.is_exploit
                        then {{ dbt.hash(dbt.concat([eros_sql_string(seed | string), "'|'", 'classified.page_name', "'|'", 'cast(classified.caption_id as ' ~ dbt.type_string() ~ ')'])) }}
                end,
                classified.caption_id
        ) as list_rank
    from classified

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
        least(
            exploit_available,
            {{ top_n }} - least(explore_available, greatest({{ explore_quota }}, {{ top_n }} - exploit_available))
        ) as exploit_slots
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
        cast(picked.page_name as {{ dbt.type_string() }}) as page_name,
        cast(row_number() over (
            partition by picked.page_name
            order by picked.slot_position, case when picked.is_exploit then 0 else 1 end, picked.list_rank
        ) as {{ dbt.type_bigint() }}) as recommendation_rank,
        cast(picked.caption_id as {{ dbt.type_bigint() }}) as caption_id,
        cast(bank_keyed.caption_text as {{ dbt.type_string() }}) as caption_text,
        cast(bank_keyed.price_tier as {{ dbt.type_string() }}) as price_tier,
        cast(bank_keyed.content_category as {{ dbt.type_string() }}) as content_category,
        cast(case when picked.is_exploit then 'EXPLOIT' else 'EXPLORE' end as {{ dbt.type_string() }}) as selection_reason,
        cast(picked.confidence_lower_bound as {{ eros_type_float() }}) as confidence_lower_bound,
        cast(picked.confidence_upper_bound as {{ eros_type_float() }}) as confidence_upper_bound,
        cast(picked.exploration_score as {{ eros_type_float() }}) as exploration_score,
        cast(picked.avg_emv as {{ eros_type_float() }}) as avg_emv,
        cast(picked.total_observations as {{ dbt.type_bigint() }}) as total_observations,
        cast(picked.performance_percentile as {{ eros_type_float() }}) as performance_percentile,
        cast({{ seed | int }} as {{ dbt.type_bigint() }}) as recommendation_seed,
        {{ eros_timestamp_literal(eros_run_started()) }} as generated_at,
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as job_id
    from picked
    inner join bank_keyed
        on picked.caption_id = bank_keyed.caption_id

)

select * from final
