-- daily: the overview per UTC day: touches on the day of the touch, decisions
-- on the day of the install, re-engagements on the day of the session, events
-- on the day of the event.
-- Events: primary attributions only (one per event), blocked installs' left out.
-- Read from daily_summary, the newest version of each app and day (docs/analytics.md,
-- Summaries: summaries/daily.sql computes it from the tables with FINAL).
SELECT
    day,
    app_id,
    media_source,
    campaign,
    sum(n_impressions) AS impressions,
    sum(n_clicks) AS clicks,
    sum(n_installs) AS installs,
    sum(n_organic) AS organic_installs,
    sum(n_reattributions) AS reattributions,
    sum(n_reengagements) AS reengagements,
    sum(n_blocked) AS blocked_installs,
    if(clicks = 0, NULL, round(installs / clicks, 4)) AS conversion_rate,
    sum(n_events) AS events,
    sumMap(n_revenue) AS revenue,
    -- greatest(..., 1): if() evaluates both branches, and a decimal / 0 throws
    if(installs + organic_installs + reattributions = 0, NULL,
       mapApply((currency, amount) -> (currency,
                amount / greatest(installs + organic_installs + reattributions, 1)), revenue))
        AS revenue_per_install
FROM
(
    SELECT
        day, app_id, media_source, campaign,
        impressions AS n_impressions, clicks AS n_clicks, installs AS n_installs,
        organic_installs AS n_organic, reattributions AS n_reattributions,
        reengagements AS n_reengagements, blocked_installs AS n_blocked,
        events AS n_events, revenue AS n_revenue
    FROM daily_summary
    WHERE ({app:String} = '' OR app_id = {app:String})
      AND day BETWEEN {date_from:Date} AND {date_to:Date}
      AND (app_id, day, version) IN (
          SELECT app_id, day, max(version) FROM daily_summary
          WHERE ({app:String} = '' OR app_id = {app:String})
            AND day BETWEEN {date_from:Date} AND {date_to:Date}
          GROUP BY app_id, day)
)
GROUP BY day, app_id, media_source, campaign
ORDER BY day, app_id, media_source, campaign
