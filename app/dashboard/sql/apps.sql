-- apps: the app ids that have decisions in ClickHouse (the dashboard's app picker,
-- with the apps registered on the collector).
SELECT DISTINCT app_id FROM attributions ORDER BY app_id LIMIT 1000
