-- ctit: click-to-install time of attributed installs and re-attributions won
-- by a click, per media source and site. Buckets: <10s is [0, 10 s),
-- 10s-1m [10 s, 1 min), 1m-10m, 10m-1h, 1h-24h likewise, 1-7d [1 d, 7 d],
-- >7d over 7 d. Many installs in the first bucket point at click injection,
-- many in the last at click flooding.
-- Read from ctit_summary, the newest version of each app and install day
-- (docs/analytics.md, Summaries: summaries/ctit.sql computes it).
SELECT
    app_id,
    media_source,
    site_id,
    sum(n) AS installs,
    sum(b1) AS `<10s`,
    sum(b2) AS `10s-1m`,
    sum(b3) AS `1m-10m`,
    sum(b4) AS `10m-1h`,
    sum(b5) AS `1h-24h`,
    sum(b6) AS `1-7d`,
    sum(b7) AS `>7d`,
    round(`<10s` / installs, 4) AS share_under_10s,
    round(`>7d` / installs, 4) AS share_over_7d
FROM
(
    SELECT
        app_id, media_source, site_id, installs AS n,
        under_10s AS b1, under_1m AS b2, under_10m AS b3, under_1h AS b4,
        under_24h AS b5, up_to_7d AS b6, over_7d AS b7
    FROM ctit_summary
    WHERE ({app:String} = '' OR app_id = {app:String})
      AND day BETWEEN {date_from:Date} AND {date_to:Date}
      AND installs > 0  -- not a key's marker row
      AND (app_id, day, version) IN (
          SELECT app_id, day, max(version) FROM ctit_summary
          WHERE ({app:String} = '' OR app_id = {app:String})
            AND day BETWEEN {date_from:Date} AND {date_to:Date}
          GROUP BY app_id, day)
)
GROUP BY app_id, media_source, site_id
ORDER BY app_id, media_source, site_id
