-- The retention summary of the cohort keys ({apps}[i], {days}[i]): per app,
-- install day and media source, the first installs (conversion_type install,
-- organic included) and how many of their devices had a session on the
-- 1st, 3rd, 7th, 14th and 30th calendar day after the install day. Each key
-- also gets a marker row (media source '', no installs), so that the newest
-- version of a key exists even when its cohort is now empty.
INSERT INTO retention_summary
WITH
    keys AS (SELECT arrayJoin(arrayZip({apps:Array(String)}, {days:Array(Date)})) AS key),
    cohort AS (
        SELECT attribution_id, app_id, device_key, media_source,
               toDate(install_time) AS install_day
        FROM attributions FINAL
        WHERE app_id IN {apps:Array(String)}
          AND toDate(install_time) BETWEEN {first:Date} AND {last:Date}
          AND (app_id, toDate(install_time)) IN (SELECT key FROM keys)
          AND conversion_type = 'install'
    )
SELECT *
FROM
(
    SELECT
        app_id, install_day, media_source,
        count(),
        countIf(has(days, 1)), countIf(has(days, 3)), countIf(has(days, 7)),
        countIf(has(days, 14)), countIf(has(days, 30)),
        {version:UInt64}
    FROM
    (
        SELECT
            cohort.attribution_id,
            any(cohort.app_id) AS app_id,
            any(cohort.media_source) AS media_source,
            any(cohort.install_day) AS install_day,
            groupArray(dateDiff('day', cohort.install_day, active.day)) AS days
        FROM cohort
        LEFT JOIN
        (
            SELECT DISTINCT app_id, device_key, toDate(session_time) AS day
            FROM sessions FINAL
            WHERE app_id IN {apps:Array(String)}
              AND device_key IN (SELECT device_key FROM cohort)
              AND toDate(session_time) > {first:Date}
              AND toDate(session_time) <= {last:Date} + 30
        ) AS active
        ON active.app_id = cohort.app_id AND active.device_key = cohort.device_key
        GROUP BY cohort.app_id, cohort.attribution_id
    )
    GROUP BY app_id, install_day, media_source

    UNION ALL

    SELECT tupleElement(key, 1), tupleElement(key, 2), '', 0, 0, 0, 0, 0, 0, {version:UInt64}
    FROM keys
)
