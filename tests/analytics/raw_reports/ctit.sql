-- ctit: click-to-install time of attributed installs and re-attributions won
-- by a click, per media source and site. Buckets: <10s is [0, 10 s),
-- 10s-1m [10 s, 1 min), 1m-10m, 10m-1h, 1h-24h likewise, 1-7d [1 d, 7 d],
-- >7d over 7 d. Many installs in the first bucket point at click injection,
-- many in the last at click flooding.
SELECT
    app_id,
    media_source,
    ifNull(site_id, '') AS site_id,
    count() AS installs,
    countIf(ctit_seconds < 10) AS `<10s`,
    countIf(ctit_seconds >= 10 AND ctit_seconds < 60) AS `10s-1m`,
    countIf(ctit_seconds >= 60 AND ctit_seconds < 600) AS `1m-10m`,
    countIf(ctit_seconds >= 600 AND ctit_seconds < 3600) AS `10m-1h`,
    countIf(ctit_seconds >= 3600 AND ctit_seconds < 86400) AS `1h-24h`,
    countIf(ctit_seconds >= 86400 AND ctit_seconds <= 604800) AS `1-7d`,
    countIf(ctit_seconds > 604800) AS `>7d`,
    round(`<10s` / installs, 4) AS share_under_10s,
    round(`>7d` / installs, 4) AS share_over_7d
FROM attributions FINAL
WHERE ({app:String} = '' OR app_id = {app:String})
  AND toDate(install_time) BETWEEN {date_from:Date} AND {date_to:Date}
  AND conversion_type IN ('install', 'reattribution')
  AND status = 'non_organic'
  AND touch_type = 'click'
  AND ctit_seconds IS NOT NULL
GROUP BY app_id, media_source, site_id
ORDER BY app_id, media_source, site_id
