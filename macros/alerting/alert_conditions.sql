{#-
  Alert rule conditions (DOMAIN.md "Alert rules", issue 7): one row per rule of the seed
  alert_rules, evaluated at `as_of` (naive UTC datetime). Shared by the model
  alert_rule_conditions (a snapshot at build time) and the run-operation
  evaluate_alert_rules (which raises and resolves alerts from it).

  The measures are not computed here: a rule watches the measure of health_measures named
  by its condition_source (macros/health/health_measures.sql, the one home of every
  measure and of its window). The model alert_rule_conditions passes ref('health_measures');
  evaluate_alert_rules, which runs at any as_of, inlines the same measures SQL at its as_of.

  A condition rule holds when observed_value > threshold (the rule's own threshold, which is
  also the level health_measures judges the measure by); an escalation rule when at least
  one alert is due (observed_value: open, unacknowledged alerts of the level older than
  threshold minutes and younger than the window). condition_status: HOLDS, CLEAR (including
  "no data": no run in the window, nothing ever recorded; recency rules start watching after
  the first recorded run), or NO_SOURCE (the table the measure reads is not built: unknown,
  never raises and never resolves). Rules sharing a condition_source are levels of one
  condition: when a higher level holds, the lower one reports superseded_by and does not raise.

  adopt_job_id / adopt_message_like point at the job-raised alert (eros_raise_alert in the
  job hooks) that reports the same event, so the rule adopts it instead of raising a
  second alert: the failed / succeeded / page-failing daily run (the measure's subject), or
  the latest sweep when it left more active locks than the rule's threshold.
-#}

{% macro eros_alert_conditions_sql(rules_relation, as_of, measures_relation=none) %}
{%- set now = eros_timestamp_literal(as_of) -%}
{%- set float = eros_type_float() -%}
{%- set string = dbt.type_string() -%}

with

{% if measures_relation is none -%}
{{ eros_health_measures_sql(as_of, rules_relation, as_ctes=true) }},
{%- endif %}

rules as (

    select
        rule_id,
        rule_type,
        level,
        condition_source,
        description,
        cast(threshold as {{ float }}) as threshold,
        unit,
        cast(window_minutes as {{ dbt.type_bigint() }}) as window_minutes,
        cast(cooldown_minutes as {{ dbt.type_bigint() }}) as cooldown_minutes,
        coalesce(auto_resolve, false) as auto_resolve,
        channels,
        coalesce(enabled, false) as enabled
    from {{ rules_relation }}

),

measures as (

    select
        measure_id,
        observed_value,
        source_available,
        subject_id,
        subject_value,
        detail
    from {{ measures_relation if measures_relation is not none else 'health_measures_final' }}

),

evaluated as (

    select
        rules.rule_id,
        rules.rule_type,
        rules.level,
        case rules.level when 'CRITICAL' then 3 when 'WARNING' then 2 else 1 end as level_rank,
        rules.condition_source,
        rules.description,
        rules.threshold,
        rules.unit,
        rules.window_minutes,
        rules.cooldown_minutes,
        rules.auto_resolve,
        rules.channels,
        rules.enabled,
        case when coalesce(measures.source_available, false) then measures.observed_value end as observed_value,
        coalesce(measures.source_available, false) as source_available,
        case
            when not coalesce(measures.source_available, false) or measures.observed_value is null then false
            when rules.rule_type = 'escalation' then measures.observed_value > 0
            else measures.observed_value > rules.threshold
        end as holds,
        case
            when rules.condition_source in ('daily_runs_failed', 'daily_runs_succeeded', 'daily_runs_failure_pct')
                then measures.subject_id
            when rules.condition_source = 'active_locks_volume' and measures.subject_value > rules.threshold
                then measures.subject_id
        end as adopt_job_id,
        case
            when rules.condition_source in ('daily_runs_failed', 'daily_runs_succeeded', 'daily_runs_failure_pct')
                then 'daily_automation'
            when rules.condition_source = 'active_locks_volume' then 'lock_cleanup'
        end as adopt_source,
        case
            when rules.condition_source in ('daily_runs_failed', 'daily_runs_succeeded', 'daily_runs_failure_pct', 'daily_duration_avg')
                then '%'
            when rules.condition_source = 'active_locks_volume' then '%active locks after the lock sweep%'
        end as adopt_message_like,
        coalesce(measures.detail, 'unknown condition_source') as detail
    from rules
    left join measures
        on rules.condition_source = measures.measure_id

),

superseded as (

    select
        lower_level.rule_id,
        min(higher_level.rule_id) as superseded_by
    from evaluated as lower_level
    inner join evaluated as higher_level
        on lower_level.condition_source = higher_level.condition_source
        and higher_level.level_rank > lower_level.level_rank
        and higher_level.holds
        and higher_level.enabled
    where lower_level.rule_type = 'condition'
    group by lower_level.rule_id

),

final as (

    select
        evaluated.rule_id,
        evaluated.rule_type,
        evaluated.level,
        evaluated.condition_source,
        evaluated.description,
        evaluated.threshold,
        evaluated.unit,
        evaluated.window_minutes,
        evaluated.cooldown_minutes,
        evaluated.auto_resolve,
        evaluated.channels,
        evaluated.enabled,
        cast(evaluated.observed_value as {{ float }}) as observed_value,
        evaluated.holds,
        case
            when not evaluated.source_available then 'NO_SOURCE'
            when evaluated.holds then 'HOLDS'
            else 'CLEAR'
        end as condition_status,
        superseded.superseded_by,
        cast(evaluated.adopt_job_id as {{ string }}) as adopt_job_id,
        cast(evaluated.adopt_source as {{ string }}) as adopt_source,
        cast(evaluated.adopt_message_like as {{ string }}) as adopt_message_like,
        evaluated.detail,
        {{ now }} as evaluated_at
    from evaluated
    left join superseded
        on evaluated.rule_id = superseded.rule_id

)

select * from final
{%- endmacro %}
