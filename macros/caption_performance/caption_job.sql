{#-
  Job bookkeeping of the caption-performance job (selector caption_performance), called
  from eros_on_run_end (macros/automation/job_runs.sql), so `dbt build --selector
  caption_performance` on dbt Cloud records the same job row and alerts as
  `eros run caption-performance`.
-#}


{#- What this run of the caption job produced, as a dict of ints / floats (None when the
    model does not exist yet):
      pages_with_stats, captions_updated   rows of caption_bandit_stats (all recomputed);
      recommendations                      rows of caption_recommendations of this run;
      grain_rows_merged                    daily-grain rows (re)written by this run;
      ppv_messages_window, attributed_by_caption_id, attributed_by_text,
      unmatched_messages, attributed_pct   attribution of the valid PPV messages of the
                                           days this run recomputed. -#}
{% macro eros_caption_job_counts(job_id) %}
    {% set counts = {} %}
    {% set bigint = dbt.type_bigint() %}
    {% set stats = eros_model_relation('caption_bandit_stats') %}
    {% if stats is not none %}
        {% set table = run_query("select cast(count(distinct page_name) as " ~ bigint ~ ") as pages_with_stats, cast(count(*) as " ~ bigint ~ ") as captions_updated from " ~ stats) %}
        {% do counts.update(eros_jsonable_row(table.column_names, table.rows[0])) %}
    {% endif %}
    {% set recommendations = eros_model_relation('caption_recommendations') %}
    {% if recommendations is not none %}
        {% set table = run_query("select cast(count(*) as " ~ bigint ~ ") as recommendations from " ~ recommendations ~ " where job_id = " ~ eros_sql_string(job_id)) %}
        {% do counts.update(eros_jsonable_row(table.column_names, table.rows[0])) %}
    {% endif %}
    {% set grain = eros_model_relation('int_caption_performance__daily') %}
    {% if grain is not none %}
        {% set table = run_query("select cast(count(*) as " ~ bigint ~ ") as grain_rows_merged from " ~ grain ~ " where job_id = " ~ eros_sql_string(job_id)) %}
        {% do counts.update(eros_jsonable_row(table.column_names, table.rows[0])) %}
    {% endif %}
    {% set attribution = eros_model_relation('caption_attribution_daily') %}
    {% if attribution is not none %}
        {% set table = run_query(
            "select cast(coalesce(sum(ppv_messages), 0) as " ~ bigint ~ ") as ppv_messages_window, "
            ~ "cast(coalesce(sum(attributed_by_caption_id), 0) as " ~ bigint ~ ") as attributed_by_caption_id, "
            ~ "cast(coalesce(sum(attributed_by_text), 0) as " ~ bigint ~ ") as attributed_by_text, "
            ~ "cast(coalesce(sum(unmatched_messages), 0) as " ~ bigint ~ ") as unmatched_messages "
            ~ "from " ~ attribution ~ " where job_id = " ~ eros_sql_string(job_id)) %}
        {% set row = eros_jsonable_row(table.column_names, table.rows[0]) %}
        {% set total = row.ppv_messages_window | int %}
        {% do row.update({'attributed_pct': ((100.0 * (row.attributed_by_caption_id + row.attributed_by_text) / total) | round(2)) if total > 0 else none}) %}
        {% do counts.update(row) %}
    {% endif %}
    {{ return(counts) }}
{% endmacro %}


{#- Final job row and alerts of a caption-performance run:
      FAILED             a node failed                       -> CRITICAL alert;
      COMPLETED_NO_WORK  caption_bandit_stats has no row     -> WARNING alert;
      SUCCESS            otherwise; creators_processed = pages with stats.
    A WARNING alert also goes out when less than caption_attribution_warning_pct % of the
    PPV messages of the recomputed days were attributed to a caption (status unchanged). -#}
{% macro eros_finish_caption_job(results) %}
    {% set job = 'caption_performance' %}
    {% set exec_text = eros_execution_date() | string %}
    {% set failed = eros_failed_nodes(results) %}
    {% set problems = failed.breaker + failed.failures %}
    {% set counts = eros_caption_job_counts(invocation_id) %}
    {% set pages = counts.get('pages_with_stats') or 0 %}
    {% if problems %}
        {% set status = 'FAILED' %}
        {% set message = 'dbt nodes failed: ' ~ (problems | join(' | ')) %}
    {% elif pages == 0 %}
        {% set status = 'COMPLETED_NO_WORK' %}
        {% set message = 'no attributed PPV message in the ' ~ var('caption_stats_history_days') ~ ' days up to ' ~ exec_text ~ ': caption_bandit_stats is empty' %}
    {% else %}
        {% set status = 'SUCCESS' %}
        {% set message = none %}
    {% endif %}

    {% do eros_write_job_row(job, status, pages, 0, message) %}

    {% if status == 'FAILED' %}
        {% do eros_raise_alert('CRITICAL', job, 'Caption performance FAILED for ' ~ exec_text ~ ': ' ~ message) %}
    {% elif status == 'COMPLETED_NO_WORK' %}
        {% do eros_raise_alert('WARNING', job, 'Caption performance COMPLETED_NO_WORK for ' ~ exec_text ~ ': ' ~ message) %}
    {% elif var('alert_on_success', false) %}
        {% do eros_raise_alert('INFO', job, 'Caption performance succeeded for ' ~ exec_text ~ ': ' ~ eros_number(counts.get('captions_updated')) ~ ' captions updated') %}
    {% endif %}
    {% set share = counts.get('attributed_pct') %}
    {% set threshold = var('caption_attribution_warning_pct') | float %}
    {% if status != 'FAILED' and share is not none and share < threshold %}
        {% do eros_raise_alert('WARNING', job, 'Caption attribution low for ' ~ exec_text ~ ': ' ~ eros_percent(share) ~ ' of ' ~ eros_number(counts.get('ppv_messages_window')) ~ ' PPV messages of the recomputed days matched a caption (threshold ' ~ eros_percent(threshold) ~ '; ' ~ eros_number(counts.get('unmatched_messages')) ~ ' unmatched)') %}
    {% endif %}
{% endmacro %}
