-- The ctit summary of the keys ({apps}[i], {days}[i]): click-to-install time
-- buckets of the installs and re-attributions won by a click, per app, install
-- day, media source and site. Each key also gets a marker row (media source
-- '', no installs), so that the newest version of a key exists even when its
-- figures are gone (a re-made decision that is now organic).
INSERT INTO ctit_summary
WITH keys AS (SELECT arrayJoin(arrayZip({apps:Array(String)}, {days:Array(Date)})) AS key)
SELECT *
FROM
(
    SELECT
        app_id,
        toDate(install_time) AS day,
        media_source,
        ifNull(site_id, '') AS site,
        count(),
        countIf(ctit_seconds < 10),
        countIf(ctit_seconds >= 10 AND ctit_seconds < 60),
        countIf(ctit_seconds >= 60 AND ctit_seconds < 600),
        countIf(ctit_seconds >= 600 AND ctit_seconds < 3600),
        countIf(ctit_seconds >= 3600 AND ctit_seconds < 86400),
        countIf(ctit_seconds >= 86400 AND ctit_seconds <= 604800),
        countIf(ctit_seconds > 604800),
        {version:UInt64}
    FROM attributions FINAL
    WHERE app_id IN {apps:Array(String)}
      AND toDate(install_time) BETWEEN {first:Date} AND {last:Date}
      AND (app_id, toDate(install_time)) IN (SELECT key FROM keys)
      AND conversion_type IN ('install', 'reattribution')
      AND status = 'non_organic'
      AND touch_type = 'click'
      AND ctit_seconds IS NOT NULL
    GROUP BY app_id, day, media_source, site

    UNION ALL

    SELECT tupleElement(key, 1), tupleElement(key, 2), '', '', 0, 0, 0, 0, 0, 0, 0, 0,
           {version:UInt64}
    FROM keys
)
