-- postback_outcomes: postback deliveries per UTC day of their first attempt
-- and outcome (the status of the last attempt; retry: still pending). The
-- dashboard's "postback outcomes over time" chart; the per-host figures are
-- the postbacks report's.
SELECT day, outcome, count() AS deliveries
FROM
(
    SELECT
        delivery_id,
        argMax(status, attempt) AS outcome,
        toDate(min(attempted_at)) AS day
    FROM postback_deliveries FINAL
    WHERE ({app:String} = '' OR app_id = {app:String})
      AND toDate(attempted_at) >= {date_from:Date}
    GROUP BY delivery_id
    HAVING day BETWEEN {date_from:Date} AND {date_to:Date}
)
GROUP BY day, outcome
ORDER BY day, outcome
