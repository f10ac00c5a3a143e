-- fraud: blocked installs by reason and the media source that would have won
-- (organic when none would have), and rejected touches (distinct touch ids) by
-- reason and media source, over the decisions of the date range.
-- Read from fraud_summary, the newest version of each app and day
-- (docs/analytics.md, Summaries: summaries/fraud.sql computes it).
SELECT
    app_id,
    kind,
    reason,
    media_source,
    if(kind = 'rejected_touch', length(groupUniqArrayArray(ids)), sum(n)) AS count
FROM
(
    SELECT app_id, kind, reason, media_source, count AS n, touch_ids AS ids
    FROM fraud_summary
    WHERE ({app:String} = '' OR app_id = {app:String})
      AND day BETWEEN {date_from:Date} AND {date_to:Date}
      AND kind != ''  -- not a key's marker row
      AND (app_id, day, version) IN (
          SELECT app_id, day, max(version) FROM fraud_summary
          WHERE ({app:String} = '' OR app_id = {app:String})
            AND day BETWEEN {date_from:Date} AND {date_to:Date}
          GROUP BY app_id, day)
)
GROUP BY app_id, kind, reason, media_source
ORDER BY app_id, kind, reason, media_source
