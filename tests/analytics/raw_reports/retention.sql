-- retention: cohorts by install day (UTC) and media source. Day N retention is
-- the share of the cohort's installs whose device has a session on the N-th
-- calendar day after the install day (an install at 22:44 and a session at
-- 01:12 the next day count for day 1); NULL while day N is still to come.
-- Cohorts hold first installs (conversion_type install, organic included).
SELECT
    install_day,
    app_id,
    media_source,
    count() AS installs,
    if(install_day + 1 > today(), NULL, round(countIf(has(days, 1)) / installs, 4)) AS day_1,
    if(install_day + 3 > today(), NULL, round(countIf(has(days, 3)) / installs, 4)) AS day_3,
    if(install_day + 7 > today(), NULL, round(countIf(has(days, 7)) / installs, 4)) AS day_7,
    if(install_day + 14 > today(), NULL, round(countIf(has(days, 14)) / installs, 4)) AS day_14,
    if(install_day + 30 > today(), NULL, round(countIf(has(days, 30)) / installs, 4)) AS day_30
FROM
(
    SELECT
        cohort.attribution_id,
        any(cohort.app_id) AS app_id,
        any(cohort.media_source) AS media_source,
        any(cohort.install_day) AS install_day,
        groupArray(dateDiff('day', cohort.install_day, active.day)) AS days
    FROM
    (
        SELECT attribution_id, app_id, device_key, media_source,
               toDate(install_time) AS install_day
        FROM attributions FINAL
        WHERE ({app:String} = '' OR app_id = {app:String})
          AND toDate(install_time) BETWEEN {date_from:Date} AND {date_to:Date}
          AND conversion_type = 'install'
    ) AS cohort
    LEFT JOIN
    (
        SELECT DISTINCT app_id, device_key, toDate(session_time) AS day
        FROM sessions FINAL
        WHERE ({app:String} = '' OR app_id = {app:String})
          AND toDate(session_time) > {date_from:Date}
    ) AS active
    ON active.app_id = cohort.app_id AND active.device_key = cohort.device_key
    GROUP BY cohort.app_id, cohort.attribution_id
)
GROUP BY install_day, app_id, media_source
ORDER BY install_day, app_id, media_source
