-- The daily summary of the keys ({apps}[i], {days}[i]): the daily report's
-- figures per app, day, media source and campaign, from the base tables
-- with FINAL. Touches count on the day of the touch, decisions on the day
-- of the install, re-engagements on the day of the session, events on the
-- day of the event (primary attributions only, blocked installs' left out).
INSERT INTO daily_summary
WITH keys AS (SELECT arrayJoin(arrayZip({apps:Array(String)}, {days:Array(Date)})) AS key)
SELECT
    app_id, day, media_source, campaign,
    sum(n_impressions), sum(n_clicks), sum(n_installs), sum(n_organic),
    sum(n_reattributions), sum(n_reengagements), sum(n_blocked), sum(n_events),
    sumMap(n_revenue),
    {version:UInt64}
FROM
(
    SELECT
        toDate(touch_time) AS day, app_id, media_source, ifNull(campaign, '') AS campaign,
        countIf(touch_type = 'impression') AS n_impressions,
        countIf(touch_type = 'click') AS n_clicks,
        0 AS n_installs, 0 AS n_organic, 0 AS n_reattributions, 0 AS n_reengagements,
        0 AS n_blocked, 0 AS n_events,
        CAST(map(), 'Map(String, Decimal(38, 6))') AS n_revenue
    FROM touches FINAL
    WHERE app_id IN {apps:Array(String)}
      AND toDate(touch_time) BETWEEN {first:Date} AND {last:Date}
      AND (app_id, toDate(touch_time)) IN (SELECT key FROM keys)
    GROUP BY day, app_id, media_source, campaign

    UNION ALL

    SELECT
        toDate(install_time) AS day, app_id, media_source, ifNull(campaign, '') AS campaign,
        0, 0,
        countIf(conversion_type = 'install' AND status = 'non_organic'),
        countIf(conversion_type = 'install' AND status = 'organic'),
        countIf(conversion_type = 'reattribution'),
        0,
        countIf(conversion_type = 'blocked'),
        0,
        CAST(map(), 'Map(String, Decimal(38, 6))')
    FROM attributions FINAL
    WHERE app_id IN {apps:Array(String)}
      AND toDate(install_time) BETWEEN {first:Date} AND {last:Date}
      AND (app_id, toDate(install_time)) IN (SELECT key FROM keys)
    GROUP BY day, app_id, media_source, campaign

    UNION ALL

    SELECT
        toDate(reengagement_time) AS day, app_id, media_source, ifNull(campaign, '') AS campaign,
        0, 0, 0, 0, 0, count(), 0, 0,
        CAST(map(), 'Map(String, Decimal(38, 6))')
    FROM reengagements FINAL
    WHERE app_id IN {apps:Array(String)}
      AND toDate(reengagement_time) BETWEEN {first:Date} AND {last:Date}
      AND (app_id, toDate(reengagement_time)) IN (SELECT key FROM keys)
    GROUP BY day, app_id, media_source, campaign

    UNION ALL

    SELECT
        toDate(event_time) AS day, app_id, media_source, ifNull(campaign, '') AS campaign,
        0, 0, 0, 0, 0, 0, 0,
        count(),
        sumMap(if(revenue IS NULL OR currency IS NULL,
                  CAST(map(), 'Map(String, Decimal(38, 6))'),
                  map(assumeNotNull(currency), toDecimal128OrZero(assumeNotNull(revenue), 6))))
    FROM attributed_events FINAL
    WHERE app_id IN {apps:Array(String)}
      AND toDate(event_time) BETWEEN {first:Date} AND {last:Date}
      AND (app_id, toDate(event_time)) IN (SELECT key FROM keys)
      AND is_primary_attribution
      AND blocked_reason IS NULL AND conversion_type != 'blocked'
    GROUP BY day, app_id, media_source, campaign
)
GROUP BY app_id, day, media_source, campaign
