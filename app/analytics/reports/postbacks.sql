-- postbacks: per app, kind (install, event, push), network (media_source; empty
-- for push) and destination host, the deliveries whose first attempt falls in
-- the date range. A delivery's outcome is the status of its last attempt
-- (retry: still pending). success_rate = delivered / deliveries; retries =
-- attempts after the first; latency percentiles over every attempt that has a
-- latency, nearest rank (quantileExact: the value at position floor(q * n)).
SELECT
    app_id,
    kind,
    media_source,
    host,
    count() AS deliveries,
    countIf(outcome = 'delivered') AS delivered,
    countIf(outcome = 'failed') AS failed,
    countIf(outcome = 'dead') AS dead,
    countIf(outcome = 'retry') AS pending,
    round(delivered / deliveries, 4) AS success_rate,
    sum(attempts) - deliveries AS retries,
    quantileExactArray(0.5)(latencies) AS p50_latency_ms,
    quantileExactArray(0.99)(latencies) AS p99_latency_ms
FROM
(
    SELECT
        app_id,
        kind,
        media_source,
        host,
        delivery_id,
        argMax(status, attempt) AS outcome,
        count() AS attempts,
        groupArray(latency_ms) AS latencies,
        min(attempted_at) AS first_attempt
    FROM
    (
        -- one row per (delivery, attempt), even across month partitions
        SELECT app_id, kind, media_source, host, delivery_id, attempt,
               any(status) AS status, any(latency_ms) AS latency_ms,
               min(attempted_at) AS attempted_at
        FROM postback_deliveries FINAL
        WHERE ({app:String} = '' OR app_id = {app:String})
        GROUP BY app_id, kind, media_source, host, delivery_id, attempt
    )
    GROUP BY app_id, kind, media_source, host, delivery_id
    HAVING toDate(first_attempt) BETWEEN {date_from:Date} AND {date_to:Date}
)
GROUP BY app_id, kind, media_source, host
ORDER BY app_id, kind, media_source, host
