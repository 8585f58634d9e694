-- lock_sweep_log: the total of a sweep is the sum of its two reasons, and no count is negative.
select
    sweep_id,
    locks_expired_stale,
    locks_expired_past_date,
    total_locks_cleaned
from {{ ref('lock_sweep_log') }}
where
    total_locks_cleaned != locks_expired_stale + locks_expired_past_date
    or locks_expired_stale < 0
    or locks_expired_past_date < 0
    or active_locks_after < 0
