"""Schedules (issue 8): ``jobs.yml``, DST-correct slot enumeration, the ``run-due`` runner,
exports to other schedulers, ``eros doctor`` and ``eros deploy``.

Modules:

* :mod:`eros.scheduling.config`: load and validate ``jobs.yml``;
* :mod:`eros.scheduling.slots`: cron slots on a time zone's wall clock (pure functions);
* :mod:`eros.scheduling.planner`: what is due for one job given its recorded attempts (pure);
* :mod:`eros.scheduling.store`: the ``scheduled_job_runs`` table through dbt run-operations;
* :mod:`eros.scheduling.runner`: ``run-due``: locks, claims, job execution, retries;
* :mod:`eros.scheduling.exports`: dbt Cloud (dbt-jobs-as-code), crontab and GitHub Actions;
* :mod:`eros.scheduling.doctor` and :mod:`eros.scheduling.deploy`.
"""
