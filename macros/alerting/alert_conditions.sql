{#-
  Alert rule conditions (DOMAIN.md "Alert rules", issue 7): one row per rule of the seed
  alert_rules, evaluated at `as_of` (naive UTC datetime). Shared by the model
  alert_rule_conditions (a snapshot at build time) and the run-operation
  evaluate_alert_rules (which raises and resolves alerts from it).

  The measures are computed here from the base tables, never from another feature's
  model, so the rules work while the health scorecard is not built:
    daily_runs_failed           FAILED daily_automation runs that ended in the window
    daily_runs_succeeded        SUCCESS daily_automation runs that ended in the window
    daily_runs_failure_pct      100 * pages failed / pages active over daily runs that
                                ended in the window (etl_job_runs.creators_failed /
                                (creators_processed + creators_failed))
    daily_duration_avg          mean job_duration_seconds of daily runs that ended in the window
    daily_run_recency           hours since the latest daily_automation job_start_time
    caption_performance_recency hours since max(caption_bandit_stats.last_updated)
    active_locks_volume         active rows of the lock table now (stg_scheduler__caption_assignments;
                                the table has no history, so as_of does not change it)
    lock_cleanup_per_sweep      mean total_locks_cleaned of sweeps in the window (lock_sweep_log)
    unacknowledged_<level>      open, unacknowledged alerts of the level older than
                                threshold minutes and younger than the window (escalations)
  "In the window" means ended in (as_of - window_minutes, as_of].

  A condition rule holds when observed_value > threshold; an escalation rule when at least
  one alert is due. condition_status: HOLDS, CLEAR (including "no data": no run in the
  window, nothing ever recorded; recency rules start watching after the first recorded
  run), or NO_SOURCE (the table the measure reads is not built: unknown, never raises and
  never resolves). Rules sharing a condition_source are levels of one condition: when a
  higher level holds, the lower one reports superseded_by and does not raise.

  adopt_job_id / adopt_message_like point at the job-raised alert (eros_raise_alert in the
  job hooks) that reports the same event, so the rule adopts it instead of raising a
  second alert: the failed / succeeded / page-failing daily run, or the latest sweep that
  left more active locks than the threshold.
-#}

{% macro eros_alert_conditions_sql(rules_relation, as_of) %}
{#- at parse time the graph is empty: every measure is NO_SOURCE -#}
{%- set now = eros_timestamp_literal(as_of) -%}
{%- set runs = eros_model_relation('etl_job_runs') if execute else none -%}
{%- set alerts = eros_model_relation('automation_alerts') if execute else none -%}
{%- set sweeps = eros_model_relation('lock_sweep_log') if execute else none -%}
{%- set stats = eros_model_relation('caption_bandit_stats') if execute else none -%}
{%- set locks = eros_model_relation('stg_scheduler__caption_assignments') if execute else none -%}
{%- set float = eros_type_float() -%}
{%- set string = dbt.type_string() -%}
{%- set daily_sources = ['daily_runs_failed', 'daily_runs_succeeded', 'daily_runs_failure_pct', 'daily_duration_avg'] -%}

with

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

{% if runs is not none %}
daily_runs as (

    select
        job_id,
        job_status,
        job_start_time,
        job_end_time,
        coalesce(creators_processed, 0) as creators_processed,
        coalesce(creators_failed, 0) as creators_failed,
        job_duration_seconds
    from {{ runs }}
    where job_name = 'daily_automation'

),

daily_in_window as (

    select
        rules.rule_id,
        rules.condition_source,
        daily_runs.job_id,
        daily_runs.creators_processed,
        daily_runs.creators_failed,
        daily_runs.job_duration_seconds,
        row_number() over (
            partition by rules.rule_id
            order by case when daily_runs.creators_failed > 0 then 0 else 1 end, daily_runs.job_end_time desc, daily_runs.job_id desc
        ) as failing_rank,
        row_number() over (
            partition by rules.rule_id
            order by daily_runs.job_end_time desc, daily_runs.job_id desc
        ) as recency_rank
    from rules
    inner join daily_runs
        on daily_runs.job_end_time is not null
        and daily_runs.job_status != 'RUNNING'
        and daily_runs.job_end_time <= {{ now }}
        and {{ eros_seconds_between('daily_runs.job_end_time', now) }} < rules.window_minutes * 60
        and (
            (rules.condition_source = 'daily_runs_failed' and daily_runs.job_status = 'FAILED')
            or (rules.condition_source = 'daily_runs_succeeded' and daily_runs.job_status = 'SUCCESS')
            or rules.condition_source in ('daily_runs_failure_pct', 'daily_duration_avg')
        )
    where rules.condition_source in ('{{ daily_sources | join("', '") }}')

),

daily_window_aggregates as (

    select
        rule_id,
        count(*) as runs_in_window,
        sum(creators_failed) as pages_failed,
        sum(creators_processed + creators_failed) as pages_active,
        avg(job_duration_seconds) as avg_duration_seconds,
        max(case when recency_rank = 1 then job_id end) as latest_job_id,
        max(case when failing_rank = 1 and creators_failed > 0 then job_id end) as latest_failing_job_id
    from daily_in_window
    group by rule_id

),

daily_window_measures as (

    select
        rules.rule_id,
        cast(
            case
                when rules.condition_source in ('daily_runs_failed', 'daily_runs_succeeded')
                    then coalesce(aggregates.runs_in_window, 0)
                when rules.condition_source = 'daily_runs_failure_pct'
                    then 100.0 * aggregates.pages_failed / nullif(aggregates.pages_active, 0)
                else aggregates.avg_duration_seconds
            end as {{ float }}
        ) as observed_value,
        true as source_available,
        case
            when rules.condition_source = 'daily_runs_failure_pct' then aggregates.latest_failing_job_id
            when rules.condition_source in ('daily_runs_failed', 'daily_runs_succeeded') then aggregates.latest_job_id
        end as adopt_job_id,
        case when rules.condition_source != 'daily_duration_avg' then 'daily_automation' end as adopt_source,
        '%' as adopt_message_like,
        case
            when aggregates.rule_id is null then 'no daily run ended in the window'
            else concat(cast(aggregates.runs_in_window as {{ string }}), ' daily run(s) in the window; latest job ', aggregates.latest_job_id)
        end as detail
    from rules
    left join daily_window_aggregates as aggregates
        on rules.rule_id = aggregates.rule_id
    where rules.condition_source in ('{{ daily_sources | join("', '") }}')

),

daily_latest_start as (

    select max(job_start_time) as last_start_time
    from daily_runs

),

daily_recency_measures as (

    select
        rules.rule_id,
        cast({{ eros_seconds_between('latest.last_start_time', now) }} / 3600.0 as {{ float }}) as observed_value,
        true as source_available,
        cast(null as {{ string }}) as adopt_job_id,
        cast(null as {{ string }}) as adopt_source,
        cast(null as {{ string }}) as adopt_message_like,
        case
            when latest.last_start_time is null then 'no daily_automation run recorded yet'
            else concat('latest daily run started ', {{ eros_alerting_ts_text('latest.last_start_time') }}, ' UTC')
        end as detail
    from rules
    cross join daily_latest_start as latest
    where rules.condition_source = 'daily_run_recency'

),
{% endif %}

{% if stats is not none %}
feedback_latest as (

    select max(last_updated) as last_updated
    from {{ stats }}

),

feedback_measures as (

    select
        rules.rule_id,
        cast({{ eros_seconds_between('latest.last_updated', now) }} / 3600.0 as {{ float }}) as observed_value,
        true as source_available,
        cast(null as {{ string }}) as adopt_job_id,
        cast(null as {{ string }}) as adopt_source,
        cast(null as {{ string }}) as adopt_message_like,
        case
            when latest.last_updated is null then 'caption_bandit_stats is empty'
            else concat('caption_bandit_stats last updated ', {{ eros_alerting_ts_text('latest.last_updated') }}, ' UTC')
        end as detail
    from rules
    cross join feedback_latest as latest
    where rules.condition_source = 'caption_performance_recency'

),
{% endif %}

{% if locks is not none %}
active_lock_count as (

    select count(*) as active_locks
    from {{ locks }}
    where is_active

),

{% if sweeps is not none %}
latest_sweep_time as (

    select max(sweep_time) as sweep_time
    from {{ sweeps }}
    where sweep_time <= {{ now }}

),

latest_sweep as (

    select
        max(log.sweep_id) as sweep_id,
        max(log.active_locks_after) as active_locks_after
    from {{ sweeps }} as log
    inner join latest_sweep_time
        on log.sweep_time = latest_sweep_time.sweep_time

),
{% endif %}

active_lock_measures as (

    select
        rules.rule_id,
        cast(counted.active_locks as {{ float }}) as observed_value,
        true as source_available,
        {% if sweeps is not none -%}
        case when latest_sweep.active_locks_after > rules.threshold then latest_sweep.sweep_id end
        {%- else -%}
        cast(null as {{ string }})
        {%- endif %} as adopt_job_id,
        'lock_cleanup' as adopt_source,
        '%active locks after the lock sweep%' as adopt_message_like,
        concat(cast(counted.active_locks as {{ string }}), ' active locks now') as detail
    from rules
    cross join active_lock_count as counted
    {% if sweeps is not none -%}
    cross join latest_sweep
    {%- endif %}
    where rules.condition_source = 'active_locks_volume'

),
{% endif %}

{% if sweeps is not none %}
sweep_rule_pairs as (

    select
        rules.rule_id,
        log.sweep_id,
        log.total_locks_cleaned
    from rules
    cross join {{ sweeps }} as log
    where rules.condition_source = 'lock_cleanup_per_sweep'
        and log.sweep_time <= {{ now }}
        and {{ eros_seconds_between('log.sweep_time', now) }} < rules.window_minutes * 60

),

sweeps_in_window as (

    {#- outer joins need an equality on BigQuery: pair first, then join on rule_id -#}
    select
        rules.rule_id,
        count(pairs.sweep_id) as sweeps,
        avg(pairs.total_locks_cleaned) as avg_cleaned
    from rules
    left join sweep_rule_pairs as pairs
        on rules.rule_id = pairs.rule_id
    where rules.condition_source = 'lock_cleanup_per_sweep'
    group by rules.rule_id

),

sweep_measures as (

    select
        rule_id,
        cast(avg_cleaned as {{ float }}) as observed_value,
        true as source_available,
        cast(null as {{ string }}) as adopt_job_id,
        cast(null as {{ string }}) as adopt_source,
        cast(null as {{ string }}) as adopt_message_like,
        case
            when sweeps = 0 then 'no sweep in the window'
            else concat(cast(sweeps as {{ string }}), ' sweep(s) in the window')
        end as detail
    from sweeps_in_window

),
{% endif %}

{% if alerts is not none %}
escalation_measures as (

    select
        rules.rule_id,
        cast(count(open_alerts.alert_id) as {{ float }}) as observed_value,
        true as source_available,
        cast(null as {{ string }}) as adopt_job_id,
        cast(null as {{ string }}) as adopt_source,
        cast(null as {{ string }}) as adopt_message_like,
        concat(cast(count(open_alerts.alert_id) as {{ string }}), ' open unacknowledged alert(s) due for escalation') as detail
    from rules
    left join {{ alerts }} as open_alerts
        on open_alerts.alert_level = rules.level
        and coalesce(open_alerts.status, 'OPEN') = 'OPEN'
        and not coalesce(open_alerts.acknowledged, false)
        and open_alerts.alert_time <= {{ now }}
        and {{ eros_seconds_between('open_alerts.alert_time', now) }} >= rules.threshold * 60
        and {{ eros_seconds_between('open_alerts.alert_time', now) }} < coalesce(rules.window_minutes, 1440) * 60
    where rules.rule_type = 'escalation'
    group by rules.rule_id

),
{% endif %}

{#- one row per rule whose source table is missing: unknown -#}
{%- set missing = [] -%}
{%- if runs is none -%}{%- do missing.extend(daily_sources + ['daily_run_recency']) -%}{%- endif -%}
{%- if stats is none -%}{%- do missing.append('caption_performance_recency') -%}{%- endif -%}
{%- if locks is none -%}{%- do missing.append('active_locks_volume') -%}{%- endif -%}
{%- if sweeps is none -%}{%- do missing.append('lock_cleanup_per_sweep') -%}{%- endif -%}
{%- if alerts is none -%}{%- do missing.extend(['unacknowledged_critical', 'unacknowledged_warning']) -%}{%- endif %}

missing_source_measures as (

    select
        rule_id,
        cast(null as {{ float }}) as observed_value,
        false as source_available,
        cast(null as {{ string }}) as adopt_job_id,
        cast(null as {{ string }}) as adopt_source,
        cast(null as {{ string }}) as adopt_message_like,
        'source table not built yet' as detail
    from rules
    where condition_source in ('{{ (missing or ['-']) | join("', '") }}')

),

measures as (

    select * from missing_source_measures
    {% if runs is not none %}
    union all
    select * from daily_window_measures
    union all
    select * from daily_recency_measures
    {% endif %}
    {% if stats is not none %}
    union all
    select * from feedback_measures
    {% endif %}
    {% if locks is not none %}
    union all
    select * from active_lock_measures
    {% endif %}
    {% if sweeps is not none %}
    union all
    select * from sweep_measures
    {% endif %}
    {% if alerts is not none %}
    union all
    select * from escalation_measures
    {% endif %}

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
        measures.observed_value,
        coalesce(measures.source_available, false) as source_available,
        case
            when measures.observed_value is null then false
            when rules.rule_type = 'escalation' then measures.observed_value > 0
            else measures.observed_value > rules.threshold
        end as holds,
        measures.adopt_job_id,
        measures.adopt_source,
        measures.adopt_message_like,
        coalesce(measures.detail, 'unknown condition_source') as detail
    from rules
    left join measures
        on rules.rule_id = measures.rule_id

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
        evaluated.observed_value,
        evaluated.holds,
        case
            when not evaluated.source_available then 'NO_SOURCE'
            when evaluated.holds then 'HOLDS'
            else 'CLEAR'
        end as condition_status,
        superseded.superseded_by,
        evaluated.adopt_job_id,
        evaluated.adopt_source,
        evaluated.adopt_message_like,
        evaluated.detail,
        {{ now }} as evaluated_at
    from evaluated
    left join superseded
        on evaluated.rule_id = superseded.rule_id

)

select * from final
{%- endmacro %}
