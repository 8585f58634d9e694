{#-
  Top captions per page (for the report and a dashboard): the 5 captions with the highest
  Wilson lower bound in caption_bandit_stats (what the bandit is most sure of), ties by
  revenue, with the caption text from the bank.
-#}

with

stats as (

    select * from {{ ref('caption_bandit_stats') }}

),

bank as (

    select * from {{ ref('stg_scheduler__caption_bank') }}

),

ranked as (

    select
        page_name,
        caption_id,
        total_observations,
        total_revenue,
        avg_emv,
        confidence_lower_bound,
        performance_percentile,
        last_used,
        row_number() over (
            partition by page_name
            order by confidence_lower_bound desc, total_revenue desc, caption_id
        ) as caption_rank
    from stats

),

final as (

    select
        ranked.page_name,
        ranked.caption_rank,
        ranked.caption_id,
        bank.caption_text,
        ranked.total_observations,
        round(ranked.total_revenue, 2) as total_revenue,
        round(ranked.avg_emv, 4) as avg_emv,
        round(ranked.confidence_lower_bound, 3) as confidence_lower_bound,
        ranked.performance_percentile,
        ranked.last_used
    from ranked
    left join bank on ranked.caption_id = bank.caption_id
    where ranked.caption_rank <= 5

)

select * from final
order by page_name, caption_rank
