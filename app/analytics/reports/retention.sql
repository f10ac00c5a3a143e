-- retention: cohorts by install day (UTC) and media source. Day N retention is
-- the share of the cohort's installs whose device has a session on the N-th
-- calendar day after the install day (an install at 22:44 and a session at
-- 01:12 the next day count for day 1); NULL while day N is still to come.
-- Cohorts hold first installs (conversion_type install, organic included).
-- Read from retention_summary, the newest version of each app and install day
-- (docs/analytics.md, Summaries: summaries/retention.sql computes it).
SELECT
    install_day,
    app_id,
    media_source,
    sum(n_installs) AS installs,
    if(install_day + 1 > today(), NULL, round(sum(n_1) / installs, 4)) AS day_1,
    if(install_day + 3 > today(), NULL, round(sum(n_3) / installs, 4)) AS day_3,
    if(install_day + 7 > today(), NULL, round(sum(n_7) / installs, 4)) AS day_7,
    if(install_day + 14 > today(), NULL, round(sum(n_14) / installs, 4)) AS day_14,
    if(install_day + 30 > today(), NULL, round(sum(n_30) / installs, 4)) AS day_30
FROM
(
    SELECT
        install_day, app_id, media_source, installs AS n_installs,
        retained_1 AS n_1, retained_3 AS n_3, retained_7 AS n_7,
        retained_14 AS n_14, retained_30 AS n_30
    FROM retention_summary
    WHERE ({app:String} = '' OR app_id = {app:String})
      AND install_day BETWEEN {date_from:Date} AND {date_to:Date}
      AND installs > 0  -- not a key's marker row
      AND (app_id, install_day, version) IN (
          SELECT app_id, install_day, max(version) FROM retention_summary
          WHERE ({app:String} = '' OR app_id = {app:String})
            AND install_day BETWEEN {date_from:Date} AND {date_to:Date}
          GROUP BY app_id, install_day)
)
GROUP BY install_day, app_id, media_source
ORDER BY install_day, app_id, media_source
