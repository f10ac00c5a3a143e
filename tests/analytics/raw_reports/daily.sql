-- daily: the overview per UTC day: touches on the day of the touch, decisions
-- on the day of the install, re-engagements on the day of the session, events
-- on the day of the event.
-- Events: primary attributions only (one per event), blocked installs' left out.
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
        toDate(touch_time) AS day, app_id, media_source, ifNull(campaign, '') AS campaign,
        countIf(touch_type = 'impression') AS n_impressions,
        countIf(touch_type = 'click') AS n_clicks,
        0 AS n_installs, 0 AS n_organic, 0 AS n_reattributions, 0 AS n_reengagements,
        0 AS n_blocked, 0 AS n_events,
        CAST(map(), 'Map(String, Decimal(38, 6))') AS n_revenue
    FROM touches FINAL
    WHERE ({app:String} = '' OR app_id = {app:String})
      AND toDate(touch_time) BETWEEN {date_from:Date} AND {date_to:Date}
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
    WHERE ({app:String} = '' OR app_id = {app:String})
      AND toDate(install_time) BETWEEN {date_from:Date} AND {date_to:Date}
    GROUP BY day, app_id, media_source, campaign

    UNION ALL

    SELECT
        toDate(reengagement_time) AS day, app_id, media_source, ifNull(campaign, '') AS campaign,
        0, 0, 0, 0, 0, count(), 0, 0,
        CAST(map(), 'Map(String, Decimal(38, 6))')
    FROM reengagements FINAL
    WHERE ({app:String} = '' OR app_id = {app:String})
      AND toDate(reengagement_time) BETWEEN {date_from:Date} AND {date_to:Date}
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
    WHERE ({app:String} = '' OR app_id = {app:String})
      AND toDate(event_time) BETWEEN {date_from:Date} AND {date_to:Date}
      AND is_primary_attribution
      AND blocked_reason IS NULL AND conversion_type != 'blocked'
    GROUP BY day, app_id, media_source, campaign
)
GROUP BY day, app_id, media_source, campaign
ORDER BY day, app_id, media_source, campaign
