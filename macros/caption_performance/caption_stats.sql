{#-
  Building blocks of the caption-performance feedback loop (DOMAIN.md "Caption
  performance", issue 4). Engine-specific SQL is dispatched: regular expressions
  (normalisation) and medians (success baseline).
-#}


{#- Caption text normalised for attribution: lowercase, every run of characters that are
    not letters or digits (punctuation, symbols, emoji, whitespace) replaced by one space,
    trimmed; an empty result is NULL. The Python reference is
    eros.generate.normalise_caption_text (same result for every letter/digit category). -#}
{% macro eros_normalise_caption_text(column) -%}
    {{ return(adapter.dispatch('eros_normalise_caption_text', 'eros')(column)) }}
{%- endmacro %}

{% macro default__eros_normalise_caption_text(column) -%}
    nullif(trim(regexp_replace(lower({{ column }}), '[^\p{L}\p{N}]+', ' ', 'g')), '')
{%- endmacro %}

{% macro bigquery__eros_normalise_caption_text(column) -%}
    nullif(trim(regexp_replace(lower({{ column }}), r'[^\p{L}\p{N}]+', ' ')), '')
{%- endmacro %}


{#- A SELECT giving, per (page_name, sending_date_la) of `relation` that has a non-NULL
    `value_column`, the exact (interpolated) median of that column over the page's rows of
    the `days` LA days before that day: [day - days, day - 1]. No row when that window is
    empty. `relation` is a CTE or relation with page_name, sending_date_la and the value.
    DuckDB: a RANGE-framed window median (no fan-out). BigQuery: percentile_cont cannot
    take a frame, so the days are joined to their trailing window first. -#}
{% macro eros_page_trailing_median(relation, value_column, days) -%}
    {{ return(adapter.dispatch('eros_page_trailing_median', 'eros')(relation, value_column, days | int)) }}
{%- endmacro %}

{% macro default__eros_page_trailing_median(relation, value_column, days) -%}
    select
        page_days.page_name,
        page_days.sending_date_la,
        percentile_cont(0.5) within group (order by history.{{ value_column }}) as trailing_median
    from (
        select distinct page_name, sending_date_la
        from {{ relation }}
        where {{ value_column }} is not null
    ) as page_days
    inner join {{ relation }} as history
        on history.page_name = page_days.page_name
        and history.sending_date_la >= {{ dbt.dateadd('day', -1 * days, 'page_days.sending_date_la') }}
        and history.sending_date_la < page_days.sending_date_la
        and history.{{ value_column }} is not null
    group by page_days.page_name, page_days.sending_date_la
{%- endmacro %}

{% macro duckdb__eros_page_trailing_median(relation, value_column, days) -%}
    select distinct
        page_name,
        sending_date_la,
        median({{ value_column }}) over (
            partition by page_name
            order by day_number
            range between {{ days }} preceding and 1 preceding
        ) as trailing_median
    from (
        select
            page_name,
            sending_date_la,
            {{ value_column }},
            date_diff('day', date '1970-01-01', sending_date_la) as day_number
        from {{ relation }}
        where {{ value_column }} is not null
    ) as valued
    qualify trailing_median is not null
{%- endmacro %}

{% macro bigquery__eros_page_trailing_median(relation, value_column, days) -%}
    select distinct
        page_name,
        sending_date_la,
        percentile_cont(history_value, 0.5) over (partition by page_name, sending_date_la) as trailing_median
    from (
        select
            page_days.page_name,
            page_days.sending_date_la,
            history.{{ value_column }} as history_value
        from (
            select distinct page_name, sending_date_la
            from {{ relation }}
            where {{ value_column }} is not null
        ) as page_days
        inner join {{ relation }} as history
            on history.page_name = page_days.page_name
            and history.sending_date_la >= date_sub(page_days.sending_date_la, interval {{ days }} day)
            and history.sending_date_la < page_days.sending_date_la
            and history.{{ value_column }} is not null
    ) as pairs
{%- endmacro %}


{#- Weight of an observation `age_days` days old with a half-life of `half_life_days`:
    0.5 ^ (age / half-life); 1 at age 0, 0.5 at one half-life. -#}
{% macro eros_decay_weight(age_days, half_life_days) -%}
    power(0.5, cast({{ age_days }} as {{ eros_type_float() }}) / {{ half_life_days | float }})
{%- endmacro %}


{#- Wilson score interval (confidence z, 1.96 for 95%) on s successes out of
    n = s + f observations (decayed counts may be fractional):
      centre = (p + z^2 / 2n) / (1 + z^2 / n),
      margin = z * sqrt(p (1 - p) / n + z^2 / 4n^2) / (1 + z^2 / n),  p = s / n,
    clamped to [0, 1]. No observations (n = 0): lower 0, upper 1. -#}
{% macro eros_wilson_lower(successes, failures, z) -%}
    case
        when ({{ successes }}) + ({{ failures }}) <= 0 then cast(0 as {{ eros_type_float() }})
        else greatest(cast(0 as {{ eros_type_float() }}), {{ _eros_wilson_centre(successes, failures, z) }} - {{ _eros_wilson_margin(successes, failures, z) }})
    end
{%- endmacro %}

{% macro eros_wilson_upper(successes, failures, z) -%}
    case
        when ({{ successes }}) + ({{ failures }}) <= 0 then cast(1 as {{ eros_type_float() }})
        else least(cast(1 as {{ eros_type_float() }}), {{ _eros_wilson_centre(successes, failures, z) }} + {{ _eros_wilson_margin(successes, failures, z) }})
    end
{%- endmacro %}

{% macro _eros_wilson_centre(s, f, z) -%}
    {%- set n = '((' ~ s ~ ') + (' ~ f ~ '))' -%}
    {%- set z2 = (z | float) * (z | float) -%}
    (((({{ s }}) / {{ n }}) + {{ z2 }} / (2 * {{ n }})) / (1 + {{ z2 }} / {{ n }}))
{%- endmacro %}

{% macro _eros_wilson_margin(s, f, z) -%}
    {%- set n = '((' ~ s ~ ') + (' ~ f ~ '))' -%}
    {%- set p = '((' ~ s ~ ') / ' ~ n ~ ')' -%}
    {%- set z2 = (z | float) * (z | float) -%}
    ({{ z | float }} * sqrt(greatest(0, {{ p }} * (1 - {{ p }}) / {{ n }} + {{ z2 }} / (4 * {{ n }} * {{ n }}))) / (1 + {{ z2 }} / {{ n }}))
{%- endmacro %}


{#-
  Which LA days an incremental caption-performance model recomputes in this run, as day
  offsets from execution_date (Jinja ints, emitted as constants so BigQuery prunes):
    out_from_days       first day written (recomputed and merged); the last is execution_date.
    read_from_days      first day read: out_from_days minus the success baseline window.
    predicate_from_days lower bound of the merge's incremental_predicates. dbt fixes model
                        configs at parse time, so it depends on vars only:
                        -(lookback + max catch-up); out_from_days is never below it.
  First run / --full-refresh: the bounded history (caption_performance_initial_history_days).
  Incremental: the lookback window (caption_performance_lookback_days). When runs were
  missed (the table's newest execution_date is older than execution_date), the window is
  widened back by the gap, up to caption_performance_max_catchup_days more days; a longer
  outage leaves older days as last computed (a log line says so): run with --full-refresh.

  models: none for the calling incremental model itself (is_incremental(), {{ this }});
  or a list of model names, for a model that prepares the input of those models: it is
  incremental only when all of them exist and this is no --full-refresh, and it covers
  the widest window any of them will need (the oldest newest execution_date).
-#}
{% macro eros_caption_window(models=none) %}
    {% set lookback = var('caption_performance_lookback_days') | int %}
    {% set history = var('caption_performance_initial_history_days') | int %}
    {% set baseline = var('caption_success_baseline_days') | int %}
    {% set catchup = var('caption_performance_max_catchup_days') | int %}
    {% if lookback < 1 or catchup < 0 or history < lookback + catchup %}
        {{ exceptions.raise_compiler_error('caption performance vars: need caption_performance_lookback_days >= 1, caption_performance_max_catchup_days >= 0 and their sum <= caption_performance_initial_history_days') }}
    {% endif %}
    {% set tables = [] %}
    {% if models is none %}
        {% set incremental = is_incremental() %}
        {% do tables.append(this) %}
    {% else %}
        {% set missing = [] %}
        {% for name in models %}
            {% set relation = eros_model_relation(name) if execute else none %}
            {% if relation is none %}
                {% do missing.append(name) %}
            {% else %}
                {% do tables.append(relation) %}
            {% endif %}
        {% endfor %}
        {% set incremental = execute and not flags.FULL_REFRESH and not missing %}
    {% endif %}
    {% set out_from = -1 * history %}
    {% set mode = 'full' %}
    {% if incremental %}
        {% set mode = 'incremental' %}
        {% set out_from = -1 * lookback %}
        {% if execute %}
            {% set gaps = [] %}
            {% for table in tables %}
                {% set last_date = eros_scalar('select max(execution_date) from ' ~ table, none) %}
                {% if last_date is not none %}
                    {% set last_date = modules.datetime.datetime.strptime((last_date | string)[:10], '%Y-%m-%d').date() %}
                    {% do gaps.append((eros_execution_date() - last_date).days) %}
                {% endif %}
            {% endfor %}
            {% set gap = (gaps | max) if gaps else 0 %}
            {% if gap > catchup %}
                {% do log('caption performance: the last run was ' ~ gap ~ ' days before ' ~ eros_execution_date() ~ '; catching up ' ~ catchup ~ ' days only (caption_performance_max_catchup_days). Run with --full-refresh to recompute older days.', info=true) %}
            {% endif %}
            {% if gap > 0 %}
                {% set out_from = [-1 * (gap + lookback), -1 * (lookback + catchup)] | max %}
            {% endif %}
        {% endif %}
    {% endif %}
    {{ return({
        'mode': mode,
        'out_from_days': out_from,
        'read_from_days': out_from - baseline,
        'to_days': 1,
        'predicate_from_days': -1 * (lookback + catchup),
    }) }}
{% endmacro %}


{#- A SELECT of (group_column, value_column): for each group of `relation`, the `n` rows
    with the smallest `order_column` (ties broken by value_column). Memory-bounded top-N
    per group: DuckDB min_by(x, key, n), BigQuery array_agg(... order by ... limit n);
    the default is a window row_number. -#}
{% macro eros_top_n_per_group(relation, group_column, value_column, order_column, n) -%}
    {{ return(adapter.dispatch('eros_top_n_per_group', 'eros')(relation, group_column, value_column, order_column, n | int)) }}
{%- endmacro %}

{% macro default__eros_top_n_per_group(relation, group_column, value_column, order_column, n) -%}
    select {{ group_column }}, {{ value_column }}
    from (
        select
            {{ group_column }},
            {{ value_column }},
            row_number() over (partition by {{ group_column }} order by {{ order_column }}, {{ value_column }}) as top_rank
        from {{ relation }}
    ) as ranked_rows
    where top_rank <= {{ n }}
{%- endmacro %}

{% macro duckdb__eros_top_n_per_group(relation, group_column, value_column, order_column, n) -%}
    select
        {{ group_column }},
        unnest(min_by({{ value_column }}, ({{ order_column }}, {{ value_column }}), {{ n }})) as {{ value_column }}
    from {{ relation }}
    group by {{ group_column }}
{%- endmacro %}

{% macro bigquery__eros_top_n_per_group(relation, group_column, value_column, order_column, n) -%}
    select
        grouped.{{ group_column }},
        picked as {{ value_column }}
    from (
        select
            {{ group_column }},
            array_agg({{ value_column }} order by {{ order_column }}, {{ value_column }} limit {{ n }}) as picks
        from {{ relation }}
        group by {{ group_column }}
    ) as grouped
    cross join unnest(grouped.picks) as picked
{%- endmacro %}
