{#-
  One row per (alert, channel, delivery kind): the delivery ledger of `eros alerts send`
  (issue 7). This model only defines the table; rows are written by the run-operation
  eros_record_alert_deliveries (macros/alerting/deliveries.sql):

    CLAIMED      written (and committed) right before the HTTP call, with the
                 idempotency key delivery_id = md5(alert_id|channel|kind);
    SENT         the channel accepted the message;
    FAILED       the channel refused it or could not be reached: retried by the next send
                 while the alert is younger than its delivery window;
    UNCONFIRMED  a CLAIMED row found by a later send: the process stopped between the
                 HTTP call and recording its result. It is never re-sent (no duplicate
                 message); the send reports it so a person can check the channel.
-#}
{{
    config(
        materialized='incremental',
        full_refresh=false,
        incremental_strategy='merge',
        unique_key='delivery_id',
        on_schema_change='append_new_columns',
        partition_by=eros_ops_partition_by('alert_deliveries'),
        cluster_by=eros_ops_cluster_by('alert_deliveries'),
        contract={'enforced': true},
    )
}}

with

final as (

    select
        {{ eros_ops_shell('alert_deliveries') }}

)

select * from final
where 1 = 0
