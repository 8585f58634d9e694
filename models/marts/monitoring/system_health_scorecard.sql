{#-
  The health scorecard (DOMAIN.md "Health checks" 7, plus caption attribution and source
  freshness): one row per check, judged at as_of = eros_as_of() (var as_of_timestamp,
  default the run's start). Thresholds are vars; levels and their reasons are in
  _monitoring__models.yml. Contract with alerting (issue 7): names and columns are fixed.

  The inputs come from the same macros as the int_health__* views (not from the views:
  an error-severity test on a view would make `dbt build` skip this model). A job that
  never ran has no table: its check then reports "never ran" instead of failing the build.
  The post-hook prints the scorecard as one EROS_JSON line for `eros health`.
-#}
-- depends_on: {{ ref('etl_job_runs') }}
-- depends_on: {{ ref('automation_alerts') }}
-- depends_on: {{ ref('lock_sweep_log') }}
-- depends_on: {{ ref('caption_bandit_stats') }}
-- depends_on: {{ ref('caption_attribution_daily') }}

{{
    config(
        materialized='table',
        contract={'enforced': true},
        post_hook="{{ eros_health_emit_scorecard(this) }}",
    )
}}

{%- set as_of = eros_as_of_sql() -%}
{%- set daily_fail_hours = var('health_daily_run_fail_hours') | float -%}
{%- set caption_warn_hours = var('health_caption_performance_warn_hours') | float -%}
{%- set caption_fail_hours = var('health_caption_performance_fail_hours') | float -%}
{%- set sweep_warn_hours = var('health_lock_sweep_warn_hours') | float -%}
{%- set sweep_fail_hours = var('health_lock_sweep_fail_hours') | float -%}
{%- set locks_warn = var('health_active_locks_warn') | int -%}
{%- set locks_fail = var('health_active_locks_fail') | int -%}
{%- set failed_jobs_days = var('health_failed_jobs_window_days') | int -%}
{%- set critical_hours = var('health_unacknowledged_critical_window_hours') | int -%}
{%- set attribution_warn_pct = var('caption_attribution_warning_pct', 80) | float -%}
{%- set attribution_fail_pct = var('health_attribution_fail_pct') | float -%}
{%- set attribution_days = var('health_attribution_window_days') | int -%}
{%- set freshness_warn_hours = var('mass_messages_freshness_warn_hours') | float -%}
{%- set freshness_error_hours = var('mass_messages_freshness_error_hours') | float -%}
{%- set history_days = var('health_history_days') | int -%}
{%- set attribution_built = eros_health_relation('caption_attribution_daily') is not none -%}

with

job_runs as (
    {{ eros_health_input('job_runs') }}
),

alerts as (
    {{ eros_health_input('alerts') }}
),

lock_sweeps as (
    {{ eros_health_input('lock_sweeps') }}
),

active_locks as (
    {{ eros_health_input('active_locks') }}
),

caption_feedback as (
    {{ eros_health_input('caption_feedback') }}
),

caption_attribution as (
    {{ eros_health_input('caption_attribution') }}
),

source_loads as (
    {{ eros_health_input('source_loads') }}
),

daily_run as (

    select max(job_start_time) as newest_run
    from job_runs
    where
        job_name = 'daily_automation'
        and job_status in ('SUCCESS', 'COMPLETED_WITH_ERRORS', 'COMPLETED_NO_WORK')

),

daily_run_check as (

    select
        1 as check_order,
        'daily_run_recency' as check_name,
        {{ eros_hours_between('newest_run', as_of) }} as observed_value,
        case
            when newest_run is null or newest_run < {{ eros_as_of_plus_hours(-daily_fail_hours) }} then 'FAIL'
            else 'PASS'
        end as status,
        'FAIL > {{ daily_fail_hours | int }} h since a completed daily run' as threshold,
        case
            when newest_run is null
                then 'no completed daily_automation run in the last {{ history_days }} days'
            else 'last completed daily_automation run started ' || {{ eros_timestamp_text('newest_run') }} || ' UTC'
        end as detail
    from daily_run

),

caption_performance as (

    select max(last_updated) as newest_update
    from caption_feedback

),

caption_performance_check as (

    select
        2 as check_order,
        'caption_performance_recency' as check_name,
        {{ eros_hours_between('newest_update', as_of) }} as observed_value,
        case
            when newest_update is null or newest_update < {{ eros_as_of_plus_hours(-caption_fail_hours) }} then 'FAIL'
            when newest_update < {{ eros_as_of_plus_hours(-caption_warn_hours) }} then 'WARN'
            else 'PASS'
        end as status,
        'WARN > {{ caption_warn_hours | int }} h, FAIL > {{ caption_fail_hours | int }} h since last_updated' as threshold,
        case
            when newest_update is null then 'caption_bandit_stats has no rows: caption performance has not run'
            else 'caption_bandit_stats last updated ' || {{ eros_timestamp_text('newest_update') }} || ' UTC'
        end as detail
    from caption_performance

),

lock_sweep as (

    select
        max(sweep_time) as newest_sweep,
        count(*) as sweeps
    from lock_sweeps

),

lock_sweep_check as (

    select
        3 as check_order,
        'lock_sweep_recency' as check_name,
        {{ eros_hours_between('newest_sweep', as_of) }} as observed_value,
        case
            when newest_sweep is null or newest_sweep < {{ eros_as_of_plus_hours(-sweep_fail_hours) }} then 'FAIL'
            when newest_sweep < {{ eros_as_of_plus_hours(-sweep_warn_hours) }} then 'WARN'
            else 'PASS'
        end as status,
        'WARN > {{ sweep_warn_hours | int }} h, FAIL > {{ sweep_fail_hours | int }} h since the last sweep' as threshold,
        case
            when newest_sweep is null then 'no lock sweep in the last {{ history_days }} days'
            else 'last lock sweep at ' || {{ eros_timestamp_text('newest_sweep') }} || ' UTC'
        end as detail
    from lock_sweep

),

lock_volume as (

    select
        count(*) as active_locks,
        count(distinct page_name) as pages
    from active_locks

),

active_locks_check as (

    select
        4 as check_order,
        'active_locks_volume' as check_name,
        cast(active_locks as {{ eros_type_float() }}) as observed_value,
        case
            when active_locks > {{ locks_fail }} then 'FAIL'
            when active_locks > {{ locks_warn }} then 'WARN'
            else 'PASS'
        end as status,
        'WARN > {{ "{:,}".format(locks_warn) }}, FAIL > {{ "{:,}".format(locks_fail) }} active locks' as threshold,
        cast(active_locks as {{ dbt.type_string() }}) || ' active locks on '
        || cast(pages as {{ dbt.type_string() }}) || ' pages' as detail
    from lock_volume

),

failed_jobs as (

    select
        count(*) as failed_runs,
        string_agg(distinct job_name, ', ' order by job_name) as job_names,
        max(job_start_time) as newest_failure
    from job_runs
    where
        job_status = 'FAILED'
        and job_start_time > {{ eros_as_of_plus_hours(-24 * failed_jobs_days) }}

),

failed_jobs_check as (

    select
        5 as check_order,
        'failed_jobs_7d' as check_name,
        cast(failed_runs as {{ eros_type_float() }}) as observed_value,
        case when failed_runs > 0 then 'WARN' else 'PASS' end as status,
        'WARN if any FAILED job run in {{ failed_jobs_days }} days' as threshold,
        case
            when failed_runs = 0 then 'no FAILED job run in the last {{ failed_jobs_days }} days'
            else
                cast(failed_runs as {{ dbt.type_string() }}) || ' FAILED run(s) of ' || job_names
                || '; newest started ' || {{ eros_timestamp_text('newest_failure') }} || ' UTC'
        end as detail
    from failed_jobs

),

critical_alerts as (

    select
        count(*) as open_critical,
        string_agg(distinct alert_source, ', ' order by alert_source) as sources,
        min(alert_time) as oldest_alert
    from alerts
    where
        alert_level = 'CRITICAL'
        and not acknowledged
        and alert_time > {{ eros_as_of_plus_hours(-critical_hours) }}

),

critical_alerts_check as (

    select
        6 as check_order,
        'unacknowledged_critical_24h' as check_name,
        cast(open_critical as {{ eros_type_float() }}) as observed_value,
        case when open_critical > 0 then 'FAIL' else 'PASS' end as status,
        'FAIL if any unacknowledged CRITICAL alert in {{ critical_hours }} h' as threshold,
        case
            when open_critical = 0 then 'no unacknowledged CRITICAL alert in the last {{ critical_hours }} h'
            else
                cast(open_critical as {{ dbt.type_string() }}) || ' unacknowledged CRITICAL alert(s) from ' || sources
                || '; oldest raised ' || {{ eros_timestamp_text('oldest_alert') }} || ' UTC'
        end as detail
    from critical_alerts

),

attribution as (

    select
        sum(ppv_messages) as ppv_messages,
        sum(attributed_by_caption_id + attributed_by_text) as attributed_messages
    from caption_attribution

),

attribution_share as (

    select
        ppv_messages,
        attributed_messages,
        {{ 'true' if attribution_built else 'false' }} as attribution_built,
        case
            when ppv_messages > 0 then 100.0 * attributed_messages / ppv_messages
        end as attributed_pct
    from attribution

),

attribution_check as (

    select
        7 as check_order,
        'caption_attribution_share' as check_name,
        cast(attributed_pct as {{ eros_type_float() }}) as observed_value,
        case
            when not attribution_built then 'WARN'
            when attributed_pct is null then 'PASS'
            when attributed_pct < {{ attribution_fail_pct }} then 'FAIL'
            when attributed_pct < {{ attribution_warn_pct }} then 'WARN'
            else 'PASS'
        end as status,
        'WARN < {{ attribution_warn_pct | int }}%, FAIL < {{ attribution_fail_pct | int }}% of PPV messages ({{ attribution_days }} LA days)' as threshold,
        case
            when not attribution_built
                then 'caption_attribution_daily does not exist: caption performance has not run'
            when attributed_pct is null then 'no PPV messages in the last {{ attribution_days }} LA days'
            else
                cast(attributed_messages as {{ dbt.type_string() }}) || ' of '
                || cast(ppv_messages as {{ dbt.type_string() }})
                || ' PPV messages attributed (by caption_id or normalised text)'
        end as detail
    from attribution_share

),

freshness_check as (

    select
        8 as check_order,
        'mass_messages_freshness' as check_name,
        case
            when loaded_at > {{ as_of }} then 0.0
            else {{ eros_hours_between('loaded_at', as_of) }}
        end as observed_value,
        case
            when loaded_at is null or loaded_at < {{ eros_as_of_plus_hours(-freshness_error_hours) }} then 'FAIL'
            when loaded_at < {{ eros_as_of_plus_hours(-freshness_warn_hours) }} then 'WARN'
            else 'PASS'
        end as status,
        'WARN > {{ freshness_warn_hours | int }} h, FAIL > {{ freshness_error_hours | int }} h since the last load' as threshold,
        case
            when loaded_at is null then 'no load of mass_messages found (by ' || load_marker || ')'
            else
                'last load ' || {{ eros_timestamp_text('loaded_at') }} || ' UTC (by ' || load_marker || '); newest sending_time '
                || coalesce({{ eros_timestamp_text('newest_sending_time') }} || ' UTC', 'none in {{ history_days }} days')
        end as detail
    from source_loads

),

checks as (

    select * from daily_run_check
    union all
    select * from caption_performance_check
    union all
    select * from lock_sweep_check
    union all
    select * from active_locks_check
    union all
    select * from failed_jobs_check
    union all
    select * from critical_alerts_check
    union all
    select * from attribution_check
    union all
    select * from freshness_check

),

final as (

    select
        cast(check_name as {{ dbt.type_string() }}) as check_name,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(round(observed_value, 2) as {{ eros_type_float() }}) as observed_value,
        cast(threshold as {{ dbt.type_string() }}) as threshold,
        cast(detail as {{ dbt.type_string() }}) as detail,
        {{ as_of }} as checked_at
    from checks

)

select * from final
