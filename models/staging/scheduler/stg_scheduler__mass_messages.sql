{#-
  The validated message window: typed mass messages of the bounded scan, with a
  data-quality verdict per row. Nothing is filtered on quality here:
  int_mass_messages__valid and mass_messages_quarantine split the rows on dq_reason.

  The rules, the duplicate check and the bounds are the macro eros_mass_messages_validated
  (macros/staging/mass_messages_validation.sql), which the caption job also applies to
  the slice of days it reads (int_caption_performance__window_messages).

  Every row of the scan is here (issue 13: no row is silently dropped). The scan reads
    - sending_time from the window's lower bound (local midnight of execution_date -
      mass_messages_max_history_days) on, including rows after its upper bound (as_of +
      future_scan_days), which are quarantined as SENDING_TIME_BEYOND_SCAN;
    - rows with a NULL sending_time (quarantined as NULL_SENDING_TIME).
  On BigQuery both reads are bounded by constants (the second selects only the NULL
  partition), so the scan stays partition-pruned. Rows older than the lower bound are
  history outside the scan, not errors: they are neither read nor quarantined.

  page_name is canonical (lower(trim(page_name)), blank as NULL); the source's value is
  page_name_raw. Everything downstream (queue, statistics, recommendations, errors)
  carries the canonical handle.

  Scan once (issue 11): a table, rebuilt once per run, so the raw table and the duplicate
  check are read once per run; every model and test of the daily job reads this table (on BigQuery partitioned by day of sending_time and clustered by
  page_name, so the consumers' constant sending_time bounds prune).
-#}
{{
    config(
        materialized='table',
        partition_by=eros_partition_by('sending_time', 'timestamp'),
        cluster_by=eros_cluster_by(['page_name']),
    )
}}

{{ eros_mass_messages_validated() }}
