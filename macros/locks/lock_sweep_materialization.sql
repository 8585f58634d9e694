{#-
  Materialization of the build node that sweeps the locks (model lock_sweep_run): it runs
  the same macro as `dbt run-operation sweep_locks` (eros_lock_sweep_run: RUNNING job row,
  the all-or-nothing transaction, SUCCESS job row, lock_cleanup alerts), then replaces the
  model's table with the model's SQL (this sweep's log row and job status).

  Inside the daily job the sweep's job id is `<daily job id>.sweep` and its parent_job_id
  the daily job id (eros_lock_sweep_job_ids); the sweep's "now" is var as_of_timestamp, else
  the run's start. A failing sweep fails this node only: the on-run-end hook records it
  (macros/automation/job_runs.sql, eros_finish_sweep_node) without failing the daily job.
-#}
{% materialization eros_lock_sweep, default %}
    {% set target_relation = this.incorporate(type='table') %}
    {% set ids = eros_lock_sweep_job_ids() %}

    {{ run_hooks(pre_hooks) }}

    {#- `dbt run --empty` (schema checks, unit-test setup) rewrites every ref() into an empty
        subquery, which a sweep's UPDATE/DELETE cannot target: an empty build sweeps nothing. -#}
    {% if not flags.EMPTY %}
        {% do eros_lock_sweep_run(ids.sweep_id, ids.parent_job_id) %}
    {% else %}
        {% do log('lock sweep skipped: dbt --empty builds no data, so there are no locks to sweep', info=True) %}
    {% endif %}

    {% set existing = load_cached_relation(this) %}
    {% if existing is not none %}
        {% do adapter.drop_relation(existing) %}
    {% endif %}
    {% call statement('main') %}
        {{ get_create_table_as_sql(False, target_relation, sql) }}
    {% endcall %}

    {{ run_hooks(post_hooks) }}
    {% do adapter.commit() %}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
