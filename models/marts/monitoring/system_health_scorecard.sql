{#-
  The health scorecard (DOMAIN.md "Health checks" 7, plus caption attribution and source
  freshness): one row per check, judged at as_of = eros_as_of() (var as_of_timestamp,
  default the run's start). Contract with alerting (issue 7): names and columns are fixed.

  The checks are the scorecard measures of health_measures (their SQL and thresholds:
  macros/health/health_measures.sql; levels and their reasons: _monitoring__models.yml).
  A job that never ran has no table: its check then reports "never ran" instead of failing
  the build; a missing source table is an error (nothing can be judged without it).
  The post-hook prints the scorecard as one EROS_JSON line for `eros health`.
-#}

{{
    config(
        materialized='table',
        contract={'enforced': true},
        post_hook="{{ eros_health_emit_scorecard(this) }}",
    )
}}

{%- set missing_sources = eros_health_missing_sources() -%}
{%- if missing_sources -%}
    {{ exceptions.raise_compiler_error('EROS_SOURCE_MISSING: Source Error: source table(s) ' ~ missing_sources | join(', ')
        ~ ' do not exist; the health checks need them (set EROS_SOURCE_SCHEMA / EROS_SOURCE_DATABASE, or run `eros generate`)') }}
{%- endif -%}

with

measures as (

    select * from {{ ref('health_measures') }}

),

final as (

    select
        cast(measure_id as {{ dbt.type_string() }}) as check_name,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(round(observed_value, 2) as {{ eros_type_float() }}) as observed_value,
        cast(threshold as {{ dbt.type_string() }}) as threshold,
        cast(detail as {{ dbt.type_string() }}) as detail,
        measured_at as checked_at
    from measures
    where measure_id in ('{{ eros_health_scorecard_measures() | join("', '") }}')

)

select * from final
