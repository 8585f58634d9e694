{#-
  Per page, the N captions (var caption_recommendation_count, 20) the schedule builder
  should send next, ranked 1..N (issue 12; formulas also in the README, "Caption policy").

  Pages: every page with a valid PPV message in the active_window_days (30) LA days up to
  execution_date (caption_attribution_daily), with or without attributed history.
  Captions: one usable id per normalised text (the lowest caption_id of the text whose
  usage_status is in caption_recommendation_usage_statuses and whose tier is not 'bump'),
  not locked by the page recently (an assignment of the page on the same text assigned or
  scheduled on or after execution_date - caption_recommendation_lock_days).

  Model: Gamma-Poisson on purchases per recipient, evidence pooled across pages.
  From caption_bandit_stats (decayed counts, half-life caption_decay_half_life_days):
    N[p,c], P[p,c]  decayed recipients and purchases of page p on caption text c.
    m      = (sum P + 1) / (sum N + 1000)                            bank-wide rate
    m[p]   = (P[p] + k_page) / (N[p] + k_page / m)                   page level
             (k_page = caption_prior_page_purchases; a page without history has m[p] = m)
    E[p,c] = N[p,c] * m[p]                                           expected purchases at the page level
    L[c|p] = (S[c] - P[p,c] + k0) / (X[c] - E[p,c] + k0)             caption lift from the OTHER pages
             (S[c] = sum over pages of P, X[c] = sum of E; k0 = caption_prior_caption_purchases)
    mu[p,c] = m[p] * L[c|p]                                          prior mean of the page's rate
    a[p,c] = 1 / (phi + 1 / (k0 + S[c] - P[p,c]))                    prior shape: page-to-page spread phi
             plus the uncertainty of the pooled lift
    phi    = clamp((sum (P - Ex)^2 - Ex) / sum Ex^2, 0.02, 5)        method of moments over the pairs with
             evidence, on undecayed counts, Ex = the pair's expected purchases from the other pages
    posterior rate ~ Gamma(a + P[p,c], a / mu + N[p,c])
    price[p,c] = the pair's mean price, else the caption's mean price over pages, else the
                 page's, else the bank-wide mean price
    expected value = (a + P) / (a / mu + N) * price                  USD per recipient
    sampled value  = a Gamma draw of the same posterior * price (Thompson sampling)
  Draws: uniforms from md5(caption_recommendation_seed | execution_date | page | caption)
  (eros_hash_uniform), a normal by Box-Muller, the gamma by Wilson-Hilferty: the same list
  for an (execution_date, page) on every run and engine, a new draw the next day.

  Candidates (bounded: no step scores every page x bank pair):
    - the caption_candidate_pooled_top captions with evidence on any page, best pooled
      value first (lift over all pages x m x price), for every page;
    - the captions the page has its own evidence on;
    - caption_candidate_explorers captions per page, drawn (md5 of seed | date | page |
      caption) from a pool of caption_candidate_explore_pool captions drawn from the bank
      (md5 of seed | date | caption): every caption, new ones included, is a candidate
      now and then.
  The list (E = caption_explore_slots, clamped to 0..N):
    ranks 1 .. N - E      the candidates with the highest expected value, in that order;
    ranks N - E + 1 .. N  among the other candidates, those with the highest sampled value
                          (Thompson sampling), in that order.
  Every listed caption is sent (the builder goes round-robin), so a list of N pure draws
  spends many sends on uncertain captions whose draw happened to be high; exploiting the
  posterior mean with a few sampled slots is the multiple-play scheme of IMP-TS (Komiyama,
  Honda, Nakagawa 2015: top L - 1 by estimate, one by Thompson draw), with E draws.
  selection_reason: EXPLOIT (picked by expected value), EXPLORE (picked by its draw).
  evidence: PAGE (the page sent it),
  POOLED (only other pages did), PRIOR (nobody did yet).
-#}
{%- set top_n = var('caption_recommendation_count') | int -%}
{%- set pooled_top = var('caption_candidate_pooled_top') | int -%}
{%- set explorers = var('caption_candidate_explorers') | int -%}
{%- set explore_slots = [[var('caption_explore_slots') | int, 0] | max, top_n] | min -%}
{%- set exploit_slots = top_n - explore_slots -%}
{%- set explore_pool = var('caption_candidate_explore_pool') | int -%}
{%- set k0 = var('caption_prior_caption_purchases') | float -%}
{%- set k_page = var('caption_prior_page_purchases') | float -%}
{%- set statuses = var('caption_recommendation_usage_statuses') -%}
{%- set lock_days = var('caption_recommendation_lock_days') | int -%}
{%- set seed = var('caption_recommendation_seed') | string -%}
{%- set exec_text = dbt.safe_cast(eros_execution_date_sql(), dbt.type_string()) -%}
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

attribution as (

    select * from {{ ref('caption_attribution_daily') }}
    where
        sending_date_la >= {{ eros_exec_date_plus(-1 * (var('active_window_days') | int)) }}
        and sending_date_la <= {{ eros_execution_date_sql() }}
        and ppv_messages > 0

),

locks as (

    select * from {{ ref('stg_scheduler__caption_assignments') }}
    where
        assigned_date >= {{ eros_exec_date_plus(-1 * lock_days) }}
        or scheduled_send_date >= {{ eros_exec_date_plus(-1 * lock_days) }}

),

pages as (

    select distinct page_name from attribution

),

bank_keyed as (

    select
        caption_id,
        caption_text,
        price_tier,
        content_category,
        coalesce(normalised_text, cast(caption_id as {{ dbt.type_string() }})) as text_key,
        (
            usage_status in (
                {%- for status in statuses %}{{ eros_sql_string(status) }}{{ ", " if not loop.last }}{% endfor -%}
            )
            and coalesce(price_tier, '') != 'bump'
        ) as is_usable
    from bank

),

usable_texts as (

    select
        text_key,
        min(caption_id) as caption_id
    from bank_keyed
    where is_usable
    group by text_key

),

locked_texts as (

    select distinct
        locks.page_name,
        coalesce(bank_keyed.text_key, {{ eros_normalise_caption_text('locks.caption_text') }}) as text_key
    from locks
    left join bank_keyed
        on locks.caption_id = bank_keyed.caption_id

),

-- the page's evidence per caption text (ids sharing a text are one caption)
evidence as (

    select
        stats.page_name,
        bank_keyed.text_key,
        sum(stats.decayed_recipients) as recipients,
        sum(stats.decayed_purchases) as purchases,
        sum(stats.purchase_recipients) as recipients_undecayed,
        sum(stats.purchases) as purchases_undecayed,
        avg(stats.avg_price) as avg_price,
        max(stats.confidence_lower_bound) as confidence_lower_bound,
        max(stats.confidence_upper_bound) as confidence_upper_bound,
        min(stats.exploration_score) as exploration_score,
        max(stats.avg_emv) as avg_emv,
        sum(stats.total_observations) as total_observations,
        max(stats.performance_percentile) as performance_percentile
    from stats
    inner join bank_keyed
        on stats.caption_id = bank_keyed.caption_id
    group by stats.page_name, bank_keyed.text_key

),

bank_level as (

    select
        (coalesce(sum(purchases), 0) + 1) / (coalesce(sum(recipients), 0) + 1000) as rate,
        (coalesce(sum(purchases_undecayed), 0) + 1) / (coalesce(sum(recipients_undecayed), 0) + 1000) as rate_undecayed,
        coalesce(avg(avg_price), 1) as price
    from evidence

),

page_levels as (

    select
        evidence.page_name,
        (sum(evidence.purchases) + {{ k_page }}) / (sum(evidence.recipients) + {{ k_page }} / max(bank_level.rate)) as rate,
        (sum(evidence.purchases_undecayed) + {{ k_page }})
        / (sum(evidence.recipients_undecayed) + {{ k_page }} / max(bank_level.rate_undecayed)) as rate_undecayed,
        avg(evidence.avg_price) as price
    from evidence
    cross join bank_level
    group by evidence.page_name

),

evidence_expected as (

    select
        evidence.*,
        evidence.recipients * page_levels.rate as expected,
        evidence.recipients_undecayed * page_levels.rate_undecayed as expected_undecayed,
        page_levels.rate_undecayed as page_rate_undecayed
    from evidence
    inner join page_levels
        on evidence.page_name = page_levels.page_name

),

caption_totals as (

    select
        text_key,
        sum(purchases) as purchases,
        sum(expected) as expected,
        sum(purchases_undecayed) as purchases_undecayed,
        sum(expected_undecayed) as expected_undecayed,
        avg(avg_price) as price
    from evidence_expected
    group by text_key

),

-- page-to-page spread of a caption's rate around what the other pages predict
dispersion as (

    select
        least(5.0, greatest(0.02, coalesce(
            sum(power(pairs.purchases_undecayed - pairs.predicted, 2) - pairs.predicted)
            / nullif(sum(pairs.predicted * pairs.predicted), 0),
            1.0
        ))) as phi
    from (
        select
            evidence_expected.purchases_undecayed,
            evidence_expected.recipients_undecayed * evidence_expected.page_rate_undecayed
            * (greatest(0, caption_totals.purchases_undecayed - evidence_expected.purchases_undecayed) + {{ k0 }})
            / (greatest(0, caption_totals.expected_undecayed - evidence_expected.expected_undecayed) + {{ k0 }}) as predicted
        from evidence_expected
        inner join caption_totals
            on evidence_expected.text_key = caption_totals.text_key
        where evidence_expected.recipients_undecayed > 0
    ) as pairs

),

pooled_ranked as (

    select
        usable_texts.text_key,
        (caption_totals.purchases + {{ k0 }}) / (caption_totals.expected + {{ k0 }})
        * bank_level.rate * coalesce(caption_totals.price, bank_level.price) as pooled_value
    from caption_totals
    inner join usable_texts
        on caption_totals.text_key = usable_texts.text_key
    cross join bank_level

),

pooled_top as (

    select text_key
    from pooled_ranked
    order by pooled_value desc, text_key asc
    limit {{ pooled_top }}

),

explore_pool as (

    select
        text_key,
        caption_id
    from usable_texts
    order by {{ dbt.hash(dbt.concat([eros_sql_string(seed), "'|'", exec_text, "'|'", dbt.safe_cast('caption_id', dbt.type_string())])) }}, caption_id
    limit {{ explore_pool }}

),

explore_pairs as (

    select
        pages.page_name,
        explore_pool.text_key,
        {{ dbt.hash(dbt.concat([eros_sql_string(seed), "'|'", exec_text, "'|'", 'pages.page_name', "'|'", dbt.safe_cast('explore_pool.caption_id', dbt.type_string())])) }} as explore_hash
    from pages
    cross join explore_pool

),

page_explorers as (

    {{ eros_top_n_per_group('explore_pairs', 'page_name', 'text_key', 'explore_hash', explorers) }}

),

candidate_pairs as (

    select
        pages.page_name,
        pooled_top.text_key
    from pages
    cross join pooled_top
    union distinct
    select
        evidence.page_name,
        evidence.text_key
    from evidence
    inner join pages
        on evidence.page_name = pages.page_name
    union distinct
    select
        page_name,
        text_key
    from page_explorers

),

candidates as (

    select
        candidate_pairs.page_name,
        candidate_pairs.text_key,
        usable_texts.caption_id
    from candidate_pairs
    inner join usable_texts
        on candidate_pairs.text_key = usable_texts.text_key
    left join locked_texts
        on
            candidate_pairs.page_name = locked_texts.page_name
            and candidate_pairs.text_key = locked_texts.text_key
    where locked_texts.page_name is null

),

priors as (

    select
        candidates.page_name,
        candidates.caption_id,
        candidates.text_key,
        coalesce(evidence.recipients, 0) as recipients,
        coalesce(evidence.purchases, 0) as purchases,
        coalesce(page_levels.rate, bank_level.rate) as page_rate,
        greatest(0, coalesce(caption_totals.purchases, 0) - coalesce(evidence.purchases, 0)) as other_purchases,
        greatest(
            0, coalesce(caption_totals.expected, 0) - coalesce(evidence.recipients, 0) * coalesce(page_levels.rate, bank_level.rate)
        ) as other_expected,
        coalesce(evidence.avg_price, caption_totals.price, page_levels.price, bank_level.price) as price,
        dispersion.phi,
        case
            when coalesce(evidence.recipients, 0) > 0 then 'PAGE'
            when caption_totals.text_key is not null then 'POOLED'
            else 'PRIOR'
        end as evidence_source,
        evidence.confidence_lower_bound,
        evidence.confidence_upper_bound,
        evidence.exploration_score,
        evidence.avg_emv,
        evidence.total_observations,
        evidence.performance_percentile
    from candidates
    left join evidence
        on
            candidates.page_name = evidence.page_name
            and candidates.text_key = evidence.text_key
    left join caption_totals
        on candidates.text_key = caption_totals.text_key
    left join page_levels
        on candidates.page_name = page_levels.page_name
    cross join bank_level
    cross join dispersion

),

posteriors as (

    select
        priors.*,
        priors.page_rate * (priors.other_purchases + {{ k0 }}) / (priors.other_expected + {{ k0 }}) as prior_rate,
        1 / (priors.phi + 1 / (priors.other_purchases + {{ k0 }})) as prior_shape
    from priors

),

sampled as (

    select
        posteriors.*,
        posteriors.prior_shape + posteriors.purchases as shape,
        posteriors.prior_shape / posteriors.prior_rate + posteriors.recipients as rate,
        {{ eros_hash_uniform([eros_sql_string(seed), exec_text, 'posteriors.page_name', dbt.safe_cast('posteriors.caption_id', dbt.type_string())], 0) }} as u1,
        {{ eros_hash_uniform([eros_sql_string(seed), exec_text, 'posteriors.page_name', dbt.safe_cast('posteriors.caption_id', dbt.type_string())], 1) }} as u2,
        {{ eros_hash_uniform([eros_sql_string(seed), exec_text, 'posteriors.page_name', dbt.safe_cast('posteriors.caption_id', dbt.type_string())], 2) }} as u3
    from posteriors

),

valued as (

    select
        sampled.*,
        sampled.shape / sampled.rate * sampled.price as expected_value,
        {{ eros_gamma_draw('sampled.shape', 'sampled.rate', eros_standard_normal('sampled.u1', 'sampled.u2'), 'sampled.u3') }} * sampled.price as sampled_value
    from sampled

),

ranked as (

    select
        valued.*,
        row_number() over (partition by valued.page_name order by valued.expected_value desc, valued.caption_id asc) as expected_rank
    from valued

),

-- the first exploit_slots of the list by expected value, the rest by sampled value among
-- the candidates not already picked
split as (

    select
        ranked.*,
        ranked.expected_rank <= {{ exploit_slots }} as is_exploit
    from ranked

),

listed as (

    select
        split.*,
        case
            when split.is_exploit then split.expected_rank
            else {{ exploit_slots }} + row_number() over (
                partition by split.page_name, split.is_exploit
                order by split.sampled_value desc, split.caption_id asc
            )
        end as list_rank
    from split

),

final as (

    select
        {{ eros_execution_date_sql() }} as execution_date,
        cast(ranked.page_name as {{ dbt.type_string() }}) as page_name,
        cast(ranked.list_rank as {{ dbt.type_bigint() }}) as recommendation_rank,
        cast(ranked.caption_id as {{ dbt.type_bigint() }}) as caption_id,
        cast(bank_keyed.caption_text as {{ dbt.type_string() }}) as caption_text,
        cast(bank_keyed.price_tier as {{ dbt.type_string() }}) as price_tier,
        cast(bank_keyed.content_category as {{ dbt.type_string() }}) as content_category,
        cast(case when ranked.is_exploit then 'EXPLOIT' else 'EXPLORE' end as {{ dbt.type_string() }}) as selection_reason,
        cast(ranked.evidence_source as {{ dbt.type_string() }}) as evidence_source,
        cast(round(ranked.expected_value, 10) as {{ eros_type_float() }}) as expected_earnings_per_recipient,
        cast(round(ranked.sampled_value, 10) as {{ eros_type_float() }}) as sampled_earnings_per_recipient,
        cast(coalesce(ranked.confidence_lower_bound, 0) as {{ eros_type_float() }}) as confidence_lower_bound,
        cast(coalesce(ranked.confidence_upper_bound, 1) as {{ eros_type_float() }}) as confidence_upper_bound,
        cast(coalesce(ranked.exploration_score, 1) as {{ eros_type_float() }}) as exploration_score,
        cast(ranked.avg_emv as {{ eros_type_float() }}) as avg_emv,
        cast(coalesce(ranked.total_observations, 0) as {{ dbt.type_bigint() }}) as total_observations,
        cast(ranked.performance_percentile as {{ eros_type_float() }}) as performance_percentile,
        cast({{ seed | int }} as {{ dbt.type_bigint() }}) as recommendation_seed,
        {{ eros_timestamp_literal(eros_run_started()) }} as generated_at,
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as job_id
    from listed as ranked
    inner join bank_keyed
        on ranked.caption_id = bank_keyed.caption_id
    where ranked.list_rank <= {{ top_n }}

)

select * from final
