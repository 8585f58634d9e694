{#-
  The valid PPV messages this run's incremental models need, each with the caption it is
  attributed to (DOMAIN.md "Caption performance", issue 4), read once from the source:
  int_caption_performance__daily and caption_attribution_daily both read this table.

  Window (eros_caption_window over both consumers): their recomputed days plus the success
  baseline days before them; the whole bounded history when either consumer does not
  exist yet or on --full-refresh. Rebuilt on every run.

  Validation: the rows of the window go through the same rules as the daily job's
  stg_scheduler__mass_messages (the macro eros_mass_messages_validated, read on the
  window's days only), and only the valid PPV ones are kept. The caption job so never
  rebuilds the whole-history staging table (issue 12: cost at 5,000 pages); the daily
  job's mass_messages_quarantine reports the rejected rows.

  Attribution:
    1. caption_id, when the row carries one that exists in the bank  -> method 'caption_id';
    2. else the normalised message text equal to a bank caption's normalised text, resolved
       to that text's canonical id (lowest caption_id, int_caption_bank__normalised)
                                                                     -> method 'text';
    3. else no caption                                               -> method 'unmatched'.
  Unmatched messages stay in the model (caption_id NULL) so the attribution share can be
  counted (caption_attribution_daily); they only feed the success baseline.
-#}
{%- set window = eros_caption_window(['int_caption_performance__daily', 'caption_attribution_daily']) -%}
{{ config(materialized='table') }}

with

validated as (

    {{ eros_mass_messages_validated(window.read_from_days, window.to_days) }}

),

bank as (

    select caption_id from {{ ref('int_caption_bank__normalised') }}

),

bank_texts as (

    select distinct
        normalised_text,
        canonical_caption_id
    from {{ ref('int_caption_bank__normalised') }}
    where normalised_text is not null

),

messages as (

    select * from validated
    where
        dq_reason is null
        and message_type = 'PPV'

),

normalised as (

    select
        messages.*,
        {{ eros_normalise_caption_text('messages.message') }} as normalised_text
    from messages

),

matched as (

    select
        normalised.*,
        bank.caption_id as id_match,
        bank_texts.canonical_caption_id as text_match
    from normalised
    left join bank
        on normalised.caption_id = bank.caption_id
    left join bank_texts
        on normalised.normalised_text = bank_texts.normalised_text

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
        caption_id as source_caption_id,
        normalised_text,
        coalesce(id_match, text_match) as caption_id,
        case
            when id_match is not null then 'caption_id'
            when text_match is not null then 'text'
            else 'unmatched'
        end as attribution_method
    from matched

)

select * from final
