{#-
  The health and alert measures (issue 11): one home for every measure the health
  scorecard, the alert rules and the health data tests judge.

  eros_health_measures_sql(as_of, rules_relation) returns one row per measure, computed at
  `as_of` (a naive UTC datetime):
    measure_id, display_order, observed_value, unit, warn_threshold, fail_threshold,
    direction ('above': higher is worse; 'below': lower is worse), window_minutes, status
    (PASS / WARN / FAIL, or UNKNOWN for an alert measure whose table is not built),
    threshold (the levels, human readable), detail, source_available, subject_id and
    subject_value (the row an alert rule may adopt: the latest job or sweep), measured_at.
  The model health_measures is this SQL at eros_as_of(); system_health_scorecard, the model
  alert_rule_conditions and the health data tests read that model (ref). The run-operation
  evaluate_alert_rules, which can run at any as_of, inlines the same SQL.

  Thresholds: each lives in one place (README "Where thresholds live").
    - a level that an alert rule watches is that rule's row of the seed alert_rules
      (condition_source = measure_id; a WARNING rule's threshold is the WARN level, a
      CRITICAL rule's the FAIL level; window_minutes the measure's window). The seed is read
      here, when the SQL is compiled, so the levels are literals like every other constant;
    - a level no rule watches is a var of dbt_project.yml (named in the spec below).
  tests/python/test_thresholds.py fails when a copy elsewhere disagrees.

  A table a measure reads that is not built yet (a job that never ran) gives the measure's
  `missing` value and status (e.g. a recency check FAILs, a count of failures PASSes) and
  source_available false: alert rules report it NO_SOURCE (unknown).
-#}


{#- The measures, in display order. reads: the table (model or scheduler source) the
    measure is computed from; levels: 'rules' (seed alert_rules) or a dict of vars /
    constants. when_null: status when nothing was observed; missing: status (and value)
    when the table is not built. scorecard: shown by system_health_scorecard. -#}
{% macro eros_health_measure_specs() %}
    {{ return([
        {'id': 'daily_run_recency', 'reads': 'etl_job_runs', 'missing_detail': 'no completed daily_automation run recorded', 'unit': 'hours', 'direction': 'above', 'levels': 'rules', 'scorecard': true,
         'when_null': 'FAIL', 'missing': 'FAIL',
         'threshold_text': 'FAIL > {fail} h since a completed daily run'},
        {'id': 'caption_performance_recency', 'reads': 'caption_bandit_stats', 'missing_detail': 'caption_bandit_stats has no rows: caption performance has not run', 'unit': 'hours', 'direction': 'above', 'levels': 'rules', 'scorecard': true,
         'when_null': 'FAIL', 'missing': 'FAIL',
         'threshold_text': 'WARN > {warn} h, FAIL > {fail} h since last_updated'},
        {'id': 'lock_sweep_recency', 'reads': 'lock_sweep_log', 'missing_detail': 'no lock sweep recorded: lock_sweep_log does not exist', 'unit': 'hours', 'direction': 'above', 'scorecard': true,
         'levels': {'warn': var('health_lock_sweep_warn_hours'), 'fail': var('health_lock_sweep_fail_hours')},
         'when_null': 'FAIL', 'missing': 'FAIL',
         'threshold_text': 'WARN > {warn} h, FAIL > {fail} h since the last sweep'},
        {'id': 'active_locks_volume', 'reads': 'active_caption_assignments', 'unit': 'active locks', 'direction': 'above', 'levels': 'rules', 'scorecard': true,
         'when_null': 'PASS', 'missing': 'UNKNOWN',
         'threshold_text': 'WARN > {warn}, FAIL > {fail} active locks'},
        {'id': 'failed_jobs_7d', 'reads': 'etl_job_runs', 'missing_detail': 'no FAILED job run recorded: etl_job_runs does not exist', 'unit': 'failed runs', 'direction': 'above', 'scorecard': true,
         'levels': {'warn': 0, 'window_minutes': 1440 * (var('health_failed_jobs_window_days') | int)},
         'when_null': 'PASS', 'missing': 'PASS', 'missing_value': 0,
         'threshold_text': 'WARN if any FAILED job run in {window_days} days'},
        {'id': 'unacknowledged_critical_24h', 'reads': 'automation_alerts', 'missing_detail': 'no unacknowledged CRITICAL alert: automation_alerts does not exist', 'unit': 'alerts', 'direction': 'above', 'scorecard': true,
         'levels': {'fail': 0, 'window_minutes': 60 * (var('health_unacknowledged_critical_window_hours') | int)},
         'when_null': 'PASS', 'missing': 'PASS', 'missing_value': 0,
         'threshold_text': 'FAIL if any unacknowledged CRITICAL alert in {window_hours} h'},
        {'id': 'caption_attribution_share', 'reads': 'caption_attribution_daily', 'missing_detail': 'caption_attribution_daily does not exist: caption performance has not run', 'unit': '% of PPV messages', 'direction': 'below', 'scorecard': true,
         'levels': {'warn': var('caption_attribution_warning_pct'), 'fail': var('health_attribution_fail_pct')},
         'when_null': 'PASS', 'missing': 'WARN',
         'threshold_text': 'WARN < {warn}%, FAIL < {fail}% of PPV messages (' ~ var('health_attribution_window_days') ~ ' LA days)'},
        {'id': 'mass_messages_freshness', 'reads': 'mass_messages', 'missing_detail': 'the source table mass_messages does not exist', 'unit': 'hours', 'direction': 'above', 'scorecard': true,
         'levels': {'warn': var('mass_messages_freshness_warn_hours'), 'fail': var('mass_messages_freshness_error_hours')},
         'when_null': 'FAIL', 'missing': 'FAIL',
         'threshold_text': 'WARN > {warn} h, FAIL > {fail} h since the last load'},
        {'id': 'daily_runs_failed', 'reads': 'etl_job_runs', 'unit': 'failed runs', 'direction': 'above', 'levels': 'rules', 'scorecard': false,
         'when_null': 'PASS', 'missing': 'UNKNOWN',
         'threshold_text': 'FAIL > {fail} FAILED daily runs in {window_minutes} min'},
        {'id': 'daily_runs_succeeded', 'reads': 'etl_job_runs', 'unit': 'successful runs', 'direction': 'above', 'levels': 'rules', 'scorecard': false,
         'when_null': 'PASS', 'missing': 'UNKNOWN',
         'threshold_text': 'INFO > {info} successful daily runs in {window_minutes} min'},
        {'id': 'daily_runs_failure_pct', 'reads': 'etl_job_runs', 'unit': '% of pages', 'direction': 'above', 'levels': 'rules', 'scorecard': false,
         'when_null': 'PASS', 'missing': 'UNKNOWN',
         'threshold_text': 'WARN > {warn}% of pages failing in daily runs of {window_minutes} min'},
        {'id': 'daily_duration_avg', 'reads': 'etl_job_runs', 'unit': 'seconds', 'direction': 'above', 'levels': 'rules', 'scorecard': false,
         'when_null': 'PASS', 'missing': 'UNKNOWN',
         'threshold_text': 'WARN > {warn} s average daily run duration over {window_minutes} min'},
        {'id': 'lock_cleanup_per_sweep', 'reads': 'lock_sweep_log', 'unit': 'locks per sweep', 'direction': 'above', 'levels': 'rules', 'scorecard': false,
         'when_null': 'PASS', 'missing': 'UNKNOWN',
         'threshold_text': 'WARN > {warn} locks cleaned per sweep on average over {window_minutes} min'},
        {'id': 'recurring_page_failures', 'reads': 'creator_processing_errors', 'missing_detail': 'no page failure recorded: creator_processing_errors does not exist', 'unit': 'pages', 'direction': 'above', 'scorecard': false,
         'levels': {'warn': 0, 'window_minutes': 1440 * (var('health_recurring_failure_days') | int)},
         'when_null': 'PASS', 'missing': 'PASS', 'missing_value': 0,
         'threshold_text': 'WARN if any page failed validation ' ~ var('health_recurring_failure_count') ~ '+ times in {window_days} days'},
        {'id': 'reference_data_quarantined', 'reads': 'reference_data_quarantine', 'unit': 'reference rows', 'direction': 'above', 'levels': 'rules', 'scorecard': false,
         'when_null': 'PASS', 'missing': 'UNKNOWN',
         'threshold_text': 'WARN > {warn} caption_bank / caption lock rows quarantined'},
        {'id': 'non_canonical_page_handles', 'reads': 'page_handle_variants', 'unit': 'source rows', 'direction': 'above', 'levels': 'rules', 'scorecard': false,
         'when_null': 'PASS', 'missing': 'UNKNOWN',
         'threshold_text': 'WARN > {warn} source rows with a page_name that is not lowercase and trimmed'},
        {'id': 'unacknowledged_critical', 'reads': 'automation_alerts', 'unit': 'alerts', 'direction': 'above', 'levels': 'rules', 'scorecard': false,
         'when_null': 'PASS', 'missing': 'UNKNOWN',
         'threshold_text': 'FAIL if any CRITICAL alert is unacknowledged after {age} min'},
        {'id': 'unacknowledged_warning', 'reads': 'automation_alerts', 'unit': 'alerts', 'direction': 'above', 'levels': 'rules', 'scorecard': false,
         'when_null': 'PASS', 'missing': 'UNKNOWN',
         'threshold_text': 'WARN if any WARNING alert is unacknowledged after {age} min'},
    ]) }}
{% endmacro %}


{#- Names of the measures system_health_scorecard shows, in display order. -#}
{% macro eros_health_scorecard_measures() %}
    {% set names = [] %}
    {% for spec in eros_health_measure_specs() if spec.scorecard %}
        {% do names.append(spec.id) %}
    {% endfor %}
    {{ return(names) }}
{% endmacro %}


{#- A number as the scorecard writes it: 5,000 / 28 / 0.5. -#}
{% macro eros_health_number(value) %}
    {% if value is none %}
        {{ return('') }}
    {% endif %}
    {% if (value | float) == (value | int) %}
        {{ return('{:,}'.format(value | int)) }}
    {% endif %}
    {{ return('{:,}'.format(value | float)) }}
{% endmacro %}


{#- The rows of the seed alert_rules the measures take their levels from:
    {measure_id: {'warn': x, 'fail': x, 'info': x, 'window_minutes': n, 'age': minutes}}.
    Condition rules: level WARNING -> warn, CRITICAL -> fail, INFO -> info. Escalation
    rules (condition_source unacknowledged_<level>): `threshold` is the age in minutes;
    the measure counts the alerts due, so any is the rule level's status. -#}
{% macro eros_health_rule_levels(rules_relation) %}
    {% if not execute %}
        {{ return({}) }}
    {% endif %}
    {% set found = eros_existing_relation(rules_relation) %}
    {% if found is none %}
        {{ exceptions.raise_compiler_error(
            'the seed alert_rules is not loaded (' ~ rules_relation ~ '): the alert thresholds, which the health measures '
            ~ 'also use, live there. Run `dbt seed --select alert_rules` or a selector that includes it.') }}
    {% endif %}
    {% set table = run_query(
        'select rule_type, level, condition_source, threshold, window_minutes from ' ~ found
        ~ ' order by condition_source, rule_id') %}
    {% set levels = {} %}
    {% for row in table.rows %}
        {% set rule_type, level, source, threshold, window = row[0], row[1], row[2], row[3], row[4] %}
        {% if source not in levels %}
            {% do levels.update({source: {}}) %}
        {% endif %}
        {% set entry = levels[source] %}
        {% if rule_type == 'escalation' %}
            {% do entry.update({'age': threshold | float, ('fail' if level == 'CRITICAL' else 'warn'): 0}) %}
        {% else %}
            {% set key = 'fail' if level == 'CRITICAL' else ('warn' if level == 'WARNING' else 'info') %}
            {% do entry.update({key: threshold | float}) %}
        {% endif %}
        {% if window is not none and 'window_minutes' not in entry %}
            {% do entry.update({'window_minutes': window | int}) %}
        {% endif %}
    {% endfor %}
    {{ return(levels) }}
{% endmacro %}


{#- The levels of every measure: {measure_id: {'warn', 'fail', 'info', 'window_minutes', 'age'}}. -#}
{% macro eros_health_measure_levels(rules_relation) %}
    {% set from_rules = eros_health_rule_levels(rules_relation) %}
    {% set levels = {} %}
    {% for spec in eros_health_measure_specs() %}
        {% if spec.levels == 'rules' %}
            {% do levels.update({spec.id: from_rules.get(spec.id, {})}) %}
        {% else %}
            {% set entry = {} %}
            {% for key, value in spec.levels.items() %}
                {% do entry.update({key: value | float if key != 'window_minutes' else value | int}) %}
            {% endfor %}
            {% do levels.update({spec.id: entry}) %}
        {% endif %}
    {% endfor %}
    {{ return(levels) }}
{% endmacro %}


{#- Relation of a project model or seed when its table exists (execution only), else none.
    ref() is called first, so the caller depends on the model in the DAG. -#}
{% macro eros_health_relation(model_name) %}
    {% set relation = ref(model_name) %}
    {% if not execute %}
        {{ return(none) }}
    {% endif %}
    {{ return(eros_existing_relation(relation)) }}
{% endmacro %}


{#- Same for a source table. -#}
{% macro eros_health_source_relation(table_name) %}
    {% set relation = source('scheduler', table_name) %}
    {% if not execute %}
        {{ return(none) }}
    {% endif %}
    {{ return(eros_existing_relation(relation)) }}
{% endmacro %}


{#- Source tables the health measures read that do not exist (names), for callers that
    must not judge without them (system_health_scorecard). -#}
{% macro eros_health_missing_sources() %}
    {% set missing = [] %}
    {% for name in ['active_caption_assignments', 'mass_messages'] %}
        {% if execute and eros_health_source_relation(name) is none %}
            {% do missing.append(source('scheduler', name) | string) %}
        {% endif %}
    {% endfor %}
    {{ return(missing) }}
{% endmacro %}


{#- A timestamp literal `minutes` before as_of. -#}
{% macro eros_health_ago(as_of, minutes) -%}
    {{ eros_timestamp_literal(as_of - modules.datetime.timedelta(minutes=minutes | float)) }}
{%- endmacro %}


{#- The measures as a query, or (as_ctes=true) as the CTEs alone, to put in front of
    another query's CTEs: the last one, health_measures_final, holds the rows. -#}
{% macro eros_health_measures_sql(as_of, rules_relation, as_ctes=false) %}
{%- set now = eros_timestamp_literal(as_of) -%}
{%- set float = eros_type_float() -%}
{%- set string = dbt.type_string() -%}
{%- set history_days = var('health_history_days', 35) | int -%}
{%- set history_start = eros_timestamp_literal(as_of - modules.datetime.timedelta(days=history_days)) -%}
{#- every relation first (ref/source at parse time give the DAG its edges) -#}
{%- set runs = eros_health_relation('etl_job_runs') -%}
{%- set alerts = eros_health_relation('automation_alerts') -%}
{%- set sweeps = eros_health_relation('lock_sweep_log') -%}
{%- set stats = eros_health_relation('caption_bandit_stats') -%}
{%- set attribution = eros_health_relation('caption_attribution_daily') -%}
{%- set page_errors = eros_health_relation('creator_processing_errors') -%}
{%- set reference_quarantine = eros_health_relation('reference_data_quarantine') -%}
{%- set handle_variants = eros_health_relation('page_handle_variants') -%}
{%- set locks = eros_health_source_relation('active_caption_assignments') -%}
{%- set messages = eros_health_source_relation('mass_messages') -%}
{%- set levels = eros_health_measure_levels(rules_relation) -%}
{%- set specs = eros_health_measure_specs() -%}
{%- set relations = {
    'etl_job_runs': runs, 'automation_alerts': alerts, 'lock_sweep_log': sweeps,
    'caption_bandit_stats': stats, 'caption_attribution_daily': attribution,
    'creator_processing_errors': page_errors, 'active_caption_assignments': locks, 'mass_messages': messages,
    'reference_data_quarantine': reference_quarantine, 'page_handle_variants': handle_variants,
} -%}
{%- set available = {} -%}
{%- for spec in specs -%}
    {%- do available.update({spec.id: relations[spec.reads] is not none}) -%}
{%- endfor -%}
{%- set windows = {} -%}
{%- for spec in specs -%}
    {%- do windows.update({spec.id: levels.get(spec.id, {}).get('window_minutes') or 1440}) -%}
{%- endfor -%}

{% if not as_ctes %}with{% endif %}

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
    where
        job_name = 'daily_automation'
        and job_start_time <= {{ now }}

),

{#- daily runs that ended in (as_of - window, as_of] of one windowed measure -#}
{% for measure_id, statuses in [
    ('daily_runs_failed', ['FAILED']),
    ('daily_runs_succeeded', ['SUCCESS']),
    ('daily_runs_failure_pct', none),
    ('daily_duration_avg', none),
] %}
{{ measure_id }}_runs as (

    select
        *,
        row_number() over (order by job_end_time desc, job_id desc) as recency_rank,
        row_number() over (
            order by case when creators_failed > 0 then 0 else 1 end, job_end_time desc, job_id desc
        ) as failing_rank
    from daily_runs
    where
        job_end_time is not null
        and job_status != 'RUNNING'
        and job_end_time <= {{ now }}
        and job_end_time > {{ eros_health_ago(as_of, windows[measure_id]) }}
        {% if statuses %}and job_status in ('{{ statuses | join("', '") }}'){% endif %}

),

{{ measure_id }} as (

    select
        '{{ measure_id }}' as measure_id,
        cast(
            {%- if measure_id == 'daily_runs_failure_pct' %}
            100.0 * sum(creators_failed) / nullif(sum(creators_processed + creators_failed), 0)
            {%- elif measure_id == 'daily_duration_avg' %}
            avg(job_duration_seconds)
            {%- else %}
            count(*)
            {%- endif %}
        as {{ float }}) as observed_value,
        true as source_available,
        {%- if measure_id == 'daily_runs_failure_pct' %}
        max(case when failing_rank = 1 and creators_failed > 0 then job_id end) as subject_id,
        {%- elif measure_id == 'daily_duration_avg' %}
        cast(null as {{ string }}) as subject_id,
        {%- else %}
        max(case when recency_rank = 1 then job_id end) as subject_id,
        {%- endif %}
        cast(null as {{ float }}) as subject_value,
        case
            when count(*) = 0 then 'no daily run ended in the window'
            else concat(
                {{ eros_integer_text('count(*)') }}, ' daily run(s) in the window; latest job ',
                max(case when recency_rank = 1 then job_id end)
            )
        end as detail
    from {{ measure_id }}_runs

),

{% endfor %}
daily_run_recency as (

    select
        'daily_run_recency' as measure_id,
        cast({{ eros_hours_between('max(job_start_time)', now) }} as {{ float }}) as observed_value,
        true as source_available,
        cast(null as {{ string }}) as subject_id,
        cast(null as {{ float }}) as subject_value,
        case
            when max(job_start_time) is null then 'no completed daily_automation run recorded'
            else concat('last completed daily_automation run started ', {{ eros_timestamp_text('max(job_start_time)') }}, ' UTC')
        end as detail
    from daily_runs
    where job_status in ('SUCCESS', 'COMPLETED_WITH_ERRORS', 'COMPLETED_NO_WORK')

),

failed_jobs_7d as (

    select
        'failed_jobs_7d' as measure_id,
        cast(count(*) as {{ float }}) as observed_value,
        true as source_available,
        max(job_id) as subject_id,
        cast(null as {{ float }}) as subject_value,
        case
            when count(*) = 0 then 'no FAILED job run in the last {{ (windows['failed_jobs_7d'] | int) // 1440 }} days'
            else concat(
                {{ eros_integer_text('count(*)') }}, ' FAILED run(s) of ', string_agg(distinct job_name, ', ' order by job_name),
                '; newest started ', {{ eros_timestamp_text('max(job_start_time)') }}, ' UTC'
            )
        end as detail
    from {{ runs }}
    where
        job_status = 'FAILED'
        and job_start_time > {{ eros_health_ago(as_of, windows['failed_jobs_7d']) }}
        and job_start_time <= {{ now }}

),
{% endif %}

{% if stats is not none %}
caption_performance_recency as (

    select
        'caption_performance_recency' as measure_id,
        cast({{ eros_hours_between('max(last_updated)', now) }} as {{ float }}) as observed_value,
        true as source_available,
        cast(null as {{ string }}) as subject_id,
        cast(null as {{ float }}) as subject_value,
        case
            when max(last_updated) is null then 'caption_bandit_stats has no rows: caption performance has not run'
            else concat('caption_bandit_stats last updated ', {{ eros_timestamp_text('max(last_updated)') }}, ' UTC')
        end as detail
    from {{ stats }}
    where last_updated <= {{ now }}

),
{% endif %}

{% if sweeps is not none %}
sweeps_to_as_of as (

    select
        sweep_id,
        sweep_time,
        total_locks_cleaned,
        active_locks_after
    from {{ sweeps }}
    where
        sweep_time > {{ history_start }}
        and sweep_time <= {{ now }}

),

latest_sweep as (

    select
        max(sweep_id) as sweep_id,
        max(active_locks_after) as active_locks_after
    from sweeps_to_as_of
    where sweep_time = (select max(sweep_time) from sweeps_to_as_of)

),

lock_sweep_recency as (

    select
        'lock_sweep_recency' as measure_id,
        cast({{ eros_hours_between('max(sweep_time)', now) }} as {{ float }}) as observed_value,
        true as source_available,
        max(sweep_id) as subject_id,
        cast(null as {{ float }}) as subject_value,
        case
            when max(sweep_time) is null then 'no lock sweep in the last {{ history_days }} days'
            else concat('last lock sweep at ', {{ eros_timestamp_text('max(sweep_time)') }}, ' UTC')
        end as detail
    from sweeps_to_as_of

),

lock_cleanup_per_sweep as (

    select
        'lock_cleanup_per_sweep' as measure_id,
        cast(avg(cast(total_locks_cleaned as {{ float }})) as {{ float }}) as observed_value,
        true as source_available,
        cast(null as {{ string }}) as subject_id,
        cast(null as {{ float }}) as subject_value,
        case
            when count(*) = 0 then 'no sweep in the window'
            else concat(
                {{ eros_integer_text('count(*)') }}, ' sweep(s) in the window cleaned ',
                {{ eros_integer_text('sum(total_locks_cleaned)') }}, ' locks'
            )
        end as detail
    from sweeps_to_as_of
    where sweep_time > {{ eros_health_ago(as_of, windows['lock_cleanup_per_sweep']) }}

),
{% endif %}

{% if locks is not none %}
active_lock_count as (

    select
        count(*) as active_locks,
        count(distinct page_name) as pages
    from {{ locks }}
    where is_active

),

active_locks_volume as (

    select
        'active_locks_volume' as measure_id,
        cast(counted.active_locks as {{ float }}) as observed_value,
        true as source_available,
        {% if sweeps is not none -%}
        latest_sweep.sweep_id as subject_id,
        cast(latest_sweep.active_locks_after as {{ float }}) as subject_value,
        {%- else -%}
        cast(null as {{ string }}) as subject_id,
        cast(null as {{ float }}) as subject_value,
        {%- endif %}
        concat(
            {{ eros_integer_text('counted.active_locks') }}, ' active locks on ', {{ eros_integer_text('counted.pages') }}, ' pages'
        ) as detail
    from active_lock_count as counted
    {% if sweeps is not none -%}
    cross join latest_sweep
    {%- endif %}

),
{% endif %}

{% if alerts is not none %}
unacknowledged_critical_24h as (

    select
        'unacknowledged_critical_24h' as measure_id,
        cast(count(*) as {{ float }}) as observed_value,
        true as source_available,
        min(alert_id) as subject_id,
        cast(null as {{ float }}) as subject_value,
        case
            when count(*) = 0 then 'no unacknowledged CRITICAL alert in the last {{ (windows['unacknowledged_critical_24h'] | int) // 60 }} h'
            else concat(
                {{ eros_integer_text('count(*)') }}, ' unacknowledged CRITICAL alert(s) from ',
                string_agg(distinct alert_source, ', ' order by alert_source),
                '; oldest raised ', {{ eros_timestamp_text('min(alert_time)') }}, ' UTC; alert ids: ',
                string_agg(alert_id, ', ' order by alert_id)
            )
        end as detail
    from {{ alerts }}
    where
        alert_level = 'CRITICAL'
        and not coalesce(acknowledged, false)
        and alert_time > {{ eros_health_ago(as_of, windows['unacknowledged_critical_24h']) }}
        and alert_time <= {{ now }}

),

{% for level in ['critical', 'warning'] %}
{%- set measure_id = 'unacknowledged_' ~ level -%}
{%- set age = levels.get(measure_id, {}).get('age') -%}
{{ measure_id }} as (

    select
        '{{ measure_id }}' as measure_id,
        cast(count(*) as {{ float }}) as observed_value,
        true as source_available,
        min(alert_id) as subject_id,
        cast(null as {{ float }}) as subject_value,
        concat({{ eros_integer_text('count(*)') }}, ' open unacknowledged alert(s) due for escalation') as detail
    from {{ alerts }}
    where
        alert_level = '{{ level | upper }}'
        and coalesce(status, 'OPEN') = 'OPEN'
        and not coalesce(acknowledged, false)
        {% if age is none %}and 1 = 0{% endif %}
        and alert_time <= {{ eros_health_ago(as_of, age or 0) }}
        and alert_time > {{ eros_health_ago(as_of, windows[measure_id]) }}

),

{% endfor %}
{% endif %}

{% if attribution is not none %}
attribution_totals as (

    select
        sum(ppv_messages) as ppv_messages,
        sum(attributed_by_caption_id + attributed_by_text) as attributed_messages
    from {{ attribution }}
    where
        sending_date_la >= {{ eros_exec_date_plus(-1 * (var('health_attribution_window_days', 14) | int)) }}
        and sending_date_la < {{ eros_execution_date_sql() }}

),

caption_attribution_share as (

    select
        'caption_attribution_share' as measure_id,
        cast(case when ppv_messages > 0 then 100.0 * attributed_messages / ppv_messages end as {{ float }}) as observed_value,
        true as source_available,
        cast(null as {{ string }}) as subject_id,
        cast(null as {{ float }}) as subject_value,
        case
            when coalesce(ppv_messages, 0) = 0
                then 'no PPV messages in the last {{ var("health_attribution_window_days", 14) }} LA days'
            else concat(
                {{ eros_integer_text('attributed_messages') }}, ' of ', {{ eros_integer_text('ppv_messages') }},
                ' PPV messages attributed (by caption_id or normalised text)'
            )
        end as detail
    from attribution_totals

),
{% endif %}

{% if messages is not none %}
{%- set marker = eros_mass_messages_load_marker(messages, until=as_of) %}
source_loads as (

    select
        cast(({{ marker.sql }}) as {{ dbt.type_timestamp() }}) as loaded_at,
        cast('{{ marker.method }}' as {{ string }}) as load_marker,
        cast((
            select max(sending_time)
            from {{ messages }}
            where
                {{ eros_sending_time_window('sending_time', -1 * history_days, 1) }}
                and sending_time <= {{ now }}
        ) as {{ dbt.type_timestamp() }}) as newest_sending_time

),

mass_messages_freshness as (

    select
        'mass_messages_freshness' as measure_id,
        cast(
            case
                when loaded_at > {{ now }} then 0.0
                else {{ eros_hours_between('loaded_at', now) }}
            end as {{ float }}
        ) as observed_value,
        true as source_available,
        cast(null as {{ string }}) as subject_id,
        cast(null as {{ float }}) as subject_value,
        case
            when loaded_at is null then concat('no load of mass_messages found (by ', load_marker, ')')
            else concat(
                'last load ', {{ eros_timestamp_text('loaded_at') }}, ' UTC (by ', load_marker, '); newest sending_time ',
                coalesce({{ eros_timestamp_text('newest_sending_time') }} || ' UTC', 'none in {{ history_days }} days')
            )
        end as detail
    from source_loads

),
{% endif %}

{% if page_errors is not none %}
{%- set failure_count = var('health_recurring_failure_count') | int %}
page_failures as (

    select
        page_name,
        count(*) as failures
    from {{ page_errors }}
    where
        error_time > {{ eros_health_ago(as_of, windows['recurring_page_failures']) }}
        and error_time <= {{ now }}
    group by page_name

),

recurring_page_failures as (

    select
        'recurring_page_failures' as measure_id,
        cast(count(*) as {{ float }}) as observed_value,
        true as source_available,
        min(page_name) as subject_id,
        cast(max(failures) as {{ float }}) as subject_value,
        case
            when count(*) = 0 then 'no page failed validation {{ failure_count }}+ times'
            else concat(
                {{ eros_integer_text('count(*)') }}, ' page(s) failed validation {{ failure_count }}+ times: ',
                string_agg(concat(page_name, ' (', {{ eros_integer_text('failures') }}, ')'), ', ' order by page_name)
            )
        end as detail
    from page_failures
    where failures >= {{ failure_count }}

),
{% endif %}

{% if reference_quarantine is not none %}
reference_quarantine_counts as (

    select
        concat(source_table, ' ', quarantine_reason) as reason,
        count(*) as quarantined_rows
    from {{ reference_quarantine }}
    group by source_table, quarantine_reason

),

reference_data_quarantined as (

    select
        'reference_data_quarantined' as measure_id,
        cast(coalesce(sum(quarantined_rows), 0) as {{ float }}) as observed_value,
        true as source_available,
        cast(null as {{ string }}) as subject_id,
        cast(null as {{ float }}) as subject_value,
        case
            when count(*) = 0 then 'no caption_bank or caption lock row quarantined'
            else concat(
                {{ eros_integer_text('sum(quarantined_rows)') }}, ' reference row(s) quarantined (reference_data_quarantine): ',
                string_agg(concat(reason, ' ', {{ eros_integer_text('quarantined_rows') }}), ', ' order by reason)
            )
        end as detail
    from reference_quarantine_counts

),
{% endif %}

{% if handle_variants is not none %}
non_canonical_page_handles as (

    select
        'non_canonical_page_handles' as measure_id,
        cast(coalesce(sum(source_rows), 0) as {{ float }}) as observed_value,
        true as source_available,
        min(page_name) as subject_id,
        cast(null as {{ float }}) as subject_value,
        case
            when count(*) = 0 then 'every source page_name is canonical (lowercase, trimmed)'
            else concat(
                {{ eros_integer_text('sum(source_rows)') }}, ' source row(s) under ', {{ eros_integer_text('count(*)') }},
                ' non-canonical handle(s) of ', {{ eros_integer_text('count(distinct page_name)') }},
                ' page(s), counted under the canonical handle (page_handle_variants)'
            )
        end as detail
    from {{ handle_variants }}

),
{% endif %}

health_measured as (

    {% for spec in specs %}
    {%- if available[spec.id] %}
    select * from {{ spec.id }}
    {%- else %}
    select
        '{{ spec.id }}' as measure_id,
        cast({{ spec.get('missing_value', 'null') }} as {{ float }}) as observed_value,
        false as source_available,
        cast(null as {{ string }}) as subject_id,
        cast(null as {{ float }}) as subject_value,
        cast({{ eros_sql_string(spec.get('missing_detail', 'source table not built yet')) }} as {{ string }}) as detail
    {%- endif %}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

health_measures_final as (

    {% for spec in specs %}
    {%- set level = levels.get(spec.id, {}) -%}
    {%- set op = '>' if spec.direction == 'above' else '<' -%}
    {%- set window = level.get('window_minutes') -%}
    {%- set text = spec.threshold_text.format(
        warn=eros_health_number(level.get('warn')), fail=eros_health_number(level.get('fail')),
        info=eros_health_number(level.get('info')), age=eros_health_number(level.get('age')),
        window_minutes=window, window_days=((window or 0) // 1440), window_hours=((window or 0) // 60)) -%}
    select
        measured.measure_id,
        {{ loop.index }} as display_order,
        measured.observed_value,
        cast('{{ spec.unit }}' as {{ string }}) as unit,
        cast({{ level.get('warn', 'null') }} as {{ float }}) as warn_threshold,
        cast({{ level.get('fail', 'null') }} as {{ float }}) as fail_threshold,
        cast('{{ spec.direction }}' as {{ string }}) as direction,
        cast({{ window if window is not none else 'null' }} as {{ dbt.type_bigint() }}) as window_minutes,
        cast(
            case
                {%- if not available[spec.id] %}
                when true then '{{ spec.missing }}'
                {%- endif %}
                when measured.observed_value is null then '{{ spec.when_null }}'
                {%- if level.get('fail') is not none %}
                when measured.observed_value {{ op }} {{ level.fail }} then 'FAIL'
                {%- endif %}
                {%- if level.get('warn') is not none %}
                when measured.observed_value {{ op }} {{ level.warn }} then 'WARN'
                {%- endif %}
                else 'PASS'
            end as {{ string }}
        ) as status,
        cast({{ eros_sql_string(text) }} as {{ string }}) as threshold,
        cast(measured.detail as {{ string }}) as detail,
        measured.source_available,
        cast(measured.subject_id as {{ string }}) as subject_id,
        measured.subject_value,
        {{ now }} as measured_at
    from health_measured as measured
    where measured.measure_id = '{{ spec.id }}'
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

{% if not as_ctes %}
select * from health_measures_final
{% endif %}
{%- endmacro %}
