{#-
  The attributed valid PPV messages this run's incremental models need, read once:
  int_caption_performance__daily and caption_attribution_daily both read this table
  instead of the attribution view, so the bounded scan of mass_messages (whose duplicate
  check spans the whole scan window) happens once per run, not once per model.
  Window (eros_caption_window over both consumers): their recomputed days plus the success
  baseline days before them; the whole bounded history when either consumer does not
  exist yet or on --full-refresh. Rebuilt on every run.
-#}
{%- set window = eros_caption_window(['int_caption_performance__daily', 'caption_attribution_daily']) -%}
{{ config(materialized='table') }}

with

messages as (

    select * from {{ ref('int_caption_performance__attributed_messages') }}
    where
        {{ eros_sending_time_window('sending_time', window.read_from_days, window.to_days) }}

),

final as (

    select
        row_id,
        page_name,
        sending_time,
        sending_date_la,
        price,
        sent_count,
        viewed_count,
        purchased_count,
        earnings,
        source_caption_id,
        normalised_text,
        caption_id,
        attribution_method
    from messages

)

select * from final
