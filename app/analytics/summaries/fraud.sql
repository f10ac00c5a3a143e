-- The fraud summary of the keys ({apps}[i], {days}[i]): blocked installs by
-- reason and the media source that would have won, and the ids of rejected
-- touches by reason and media source (kept as ids: the report counts
-- distinct touches over its whole range), over the decisions of the day.
-- Each key also gets a marker row (kind ''): the newest version of a key
-- exists even when the key no longer has any figure (a re-made decision
-- that is no longer blocked), so readers never fall back to an older one.
INSERT INTO fraud_summary
WITH keys AS (SELECT arrayJoin(arrayZip({apps:Array(String)}, {days:Array(Date)})) AS key)
SELECT app_id, day, kind, reason, media_source, count, touch_ids, {version:UInt64}
FROM
(
    SELECT
        app_id, toDate(install_time) AS day,
        'blocked_install' AS kind,
        ifNull(blocked_reason, '') AS reason,
        media_source,
        count() AS count,
        CAST([], 'Array(String)') AS touch_ids
    FROM attributions FINAL
    WHERE app_id IN {apps:Array(String)}
      AND toDate(install_time) BETWEEN {first:Date} AND {last:Date}
      AND (app_id, toDate(install_time)) IN (SELECT key FROM keys)
      AND conversion_type = 'blocked'
    GROUP BY app_id, day, reason, media_source

    UNION ALL

    SELECT
        app_id, toDate(install_time) AS day,
        'rejected_touch' AS kind,
        rejected.reason AS reason,
        rejected.media_source AS media_source,
        uniqExact(rejected.touch_id) AS count,
        groupUniqArray(rejected.touch_id) AS touch_ids
    FROM attributions FINAL
    ARRAY JOIN rejected_touches AS rejected
    WHERE app_id IN {apps:Array(String)}
      AND toDate(install_time) BETWEEN {first:Date} AND {last:Date}
      AND (app_id, toDate(install_time)) IN (SELECT key FROM keys)
    GROUP BY app_id, day, reason, media_source

    UNION ALL

    SELECT tupleElement(key, 1), tupleElement(key, 2), '', '', '', 0, [] FROM keys
)
