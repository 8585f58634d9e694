{#-
  Valid PPV messages with the caption they are attributed to (DOMAIN.md "Caption
  performance", issue 4):
    1. caption_id, when the row carries one that exists in the bank  -> method 'caption_id';
    2. else the normalised message text equal to a bank caption's normalised text, resolved
       to that text's canonical id (lowest caption_id, int_caption_bank__normalised)
                                                                     -> method 'text';
    3. else no caption                                               -> method 'unmatched'.
  Unmatched messages stay in the model (caption_id NULL) so the attribution share can be
  counted (caption_attribution_daily); they only feed the success baseline.
  Bounded on sending_time to the widest window any consumer reads; consumers narrow it.
-#}
{%- set reach = (var('caption_performance_initial_history_days') | int) + (var('caption_success_baseline_days') | int) -%}

with

messages as (

    select * from {{ ref('int_mass_messages__valid') }}
    where
        {{ eros_sending_time_window('sending_time', -1 * reach, 1) }}
        and message_type = 'PPV'

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
