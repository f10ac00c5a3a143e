-- The (kind, app, day) summary keys whose base rows were inserted after
-- {since}: a touch, decision, re-engagement or event changes its day's
-- daily figures; a decision its day's retention cohort, ctit and fraud figures;
-- a session on day S the retention cohorts S-1, S-3, S-7, S-14 and S-30.
-- The minmax index on _inserted_at limits each scan to recent parts.
SELECT DISTINCT kind, app_id, day
FROM
(
    SELECT 'daily' AS kind, app_id, day
    FROM (SELECT DISTINCT app_id, toDate(touch_time) AS day FROM touches
          WHERE _inserted_at > {since:DateTime64(3, 'UTC')})
    UNION ALL
    SELECT arrayJoin(['daily', 'retention', 'ctit', 'fraud']) AS kind, app_id, day
    FROM (SELECT DISTINCT app_id, toDate(install_time) AS day FROM attributions
          WHERE _inserted_at > {since:DateTime64(3, 'UTC')})
    UNION ALL
    SELECT 'daily' AS kind, app_id, day
    FROM (SELECT DISTINCT app_id, toDate(reengagement_time) AS day FROM reengagements
          WHERE _inserted_at > {since:DateTime64(3, 'UTC')})
    UNION ALL
    SELECT 'daily' AS kind, app_id, day
    FROM (SELECT DISTINCT app_id, toDate(event_time) AS day FROM attributed_events
          WHERE _inserted_at > {since:DateTime64(3, 'UTC')})
    UNION ALL
    SELECT 'retention' AS kind, app_id, day - arrayJoin([1, 3, 7, 14, 30]) AS day
    FROM (SELECT DISTINCT app_id, toDate(session_time) AS day FROM sessions
          WHERE _inserted_at > {since:DateTime64(3, 'UTC')})
)
