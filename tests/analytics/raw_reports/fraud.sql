-- fraud: blocked installs by reason and the media source that would have won
-- (organic when none would have), and rejected touches (distinct touch ids) by
-- reason and media source, over the decisions of the date range.
SELECT app_id, kind, reason, media_source, count
FROM
(
    SELECT
        app_id,
        'blocked_install' AS kind,
        ifNull(blocked_reason, '') AS reason,
        media_source,
        count() AS count
    FROM attributions FINAL
    WHERE ({app:String} = '' OR app_id = {app:String})
      AND toDate(install_time) BETWEEN {date_from:Date} AND {date_to:Date}
      AND conversion_type = 'blocked'
    GROUP BY app_id, reason, media_source

    UNION ALL

    SELECT
        app_id,
        'rejected_touch' AS kind,
        rejected.reason AS reason,
        rejected.media_source AS media_source,
        uniqExact(rejected.touch_id) AS count
    FROM attributions FINAL
    ARRAY JOIN rejected_touches AS rejected
    WHERE ({app:String} = '' OR app_id = {app:String})
      AND toDate(install_time) BETWEEN {date_from:Date} AND {date_to:Date}
    GROUP BY app_id, reason, media_source
)
ORDER BY app_id, kind, reason, media_source
