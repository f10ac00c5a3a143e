-- Version 1: the tables of analytics.md.
--
-- Every table is a ReplacingMergeTree whose sorting key is the record's
-- natural id, prefixed only by columns that the id determines (app_id and
-- the day of the record's own event time), so that a record written twice
-- (a replay after a crash, a repeated event_id) has the same key and the
-- same partition and is collapsed by FINAL at query time. Columns the id
-- does not determine (media_source, status, ...) must never enter the key.
-- Times are epoch milliseconds on the wire and DateTime64(3, 'UTC') here.
--
-- LowCardinality only for app_id and media_source, the keys every report
-- groups by: the sink inserts in ClickHouse's Avro format, where each
-- LowCardinality column costs a dictionary look-up per row (with it on every
-- repetitive string column, inserts ran at half the speed); plain strings
-- with few distinct values compress about as well.

CREATE TABLE IF NOT EXISTS ${database}.touches ${on_cluster}
(
    touch_id String,
    touch_type String,
    app_id LowCardinality(String),
    media_source LowCardinality(String),
    campaign Nullable(String),
    campaign_id Nullable(String),
    adset Nullable(String),
    adset_id Nullable(String),
    ad Nullable(String),
    ad_id Nullable(String),
    site_id Nullable(String),
    sub_site_id Nullable(String),
    network_click_id Nullable(String),
    is_retargeting Bool,
    touch_time DateTime64(3, 'UTC'),
    received_time DateTime64(3, 'UTC'),
    ip Nullable(String),
    user_agent Nullable(String),
    advertising_id Nullable(String),
    idfa Nullable(String),
    android_id Nullable(String),
    oaid Nullable(String)
)
ENGINE = ${replacing_merge_tree}
PARTITION BY toYYYYMM(touch_time)
ORDER BY (app_id, toDate(touch_time), touch_id);

CREATE TABLE IF NOT EXISTS ${database}.attributions ${on_cluster}
(
    attribution_id String,
    app_id LowCardinality(String),
    device_key String,
    install_event_id String,
    conversion_type String,
    status String,
    install_time DateTime64(3, 'UTC'),
    received_time DateTime64(3, 'UTC'),
    decided_time DateTime64(3, 'UTC'),
    touch_id Nullable(String),
    touch_type Nullable(String),
    touch_time Nullable(DateTime64(3, 'UTC')),
    match_type Nullable(String),
    media_source LowCardinality(String),
    campaign Nullable(String),
    campaign_id Nullable(String),
    adset Nullable(String),
    adset_id Nullable(String),
    ad Nullable(String),
    ad_id Nullable(String),
    site_id Nullable(String),
    sub_site_id Nullable(String),
    network_click_id Nullable(String),
    is_retargeting Bool,
    ctit_seconds Nullable(Int64),
    lookback Nullable(String),
    contributors Array(Tuple(
        touch_id String,
        touch_type String,
        touch_time DateTime64(3, 'UTC'),
        media_source String,
        campaign Nullable(String),
        match_type String)),
    blocked_reason Nullable(String),
    rejected_touches Array(Tuple(
        touch_id String,
        media_source String,
        reason String)),
    platform Nullable(String),
    app_version Nullable(String),
    os_version Nullable(String),
    ip Nullable(String),
    user_agent Nullable(String),
    advertising_id Nullable(String),
    idfa Nullable(String),
    idfv Nullable(String),
    android_id Nullable(String),
    oaid Nullable(String),
    customer_user_id Nullable(String)
)
ENGINE = ${replacing_merge_tree}
PARTITION BY toYYYYMM(install_time)
ORDER BY (app_id, toDate(install_time), attribution_id);

CREATE TABLE IF NOT EXISTS ${database}.reengagements ${on_cluster}
(
    reengagement_id String,
    app_id LowCardinality(String),
    device_key String,
    session_event_id String,
    touch_id String,
    media_source LowCardinality(String),
    campaign Nullable(String),
    adset Nullable(String),
    ad Nullable(String),
    touch_time DateTime64(3, 'UTC'),
    reengagement_time DateTime64(3, 'UTC'),
    window_end DateTime64(3, 'UTC')
)
ENGINE = ${replacing_merge_tree}
PARTITION BY toYYYYMM(reengagement_time)
ORDER BY (app_id, toDate(reengagement_time), reengagement_id);

-- Read from the sessions input topic; the record's event_time is session_time here.
CREATE TABLE IF NOT EXISTS ${database}.sessions ${on_cluster}
(
    event_id String,
    app_id LowCardinality(String),
    device_key String,
    session_time DateTime64(3, 'UTC'),
    received_time DateTime64(3, 'UTC'),
    app_version Nullable(String)
)
ENGINE = ${replacing_merge_tree}
PARTITION BY toYYYYMM(session_time)
ORDER BY (app_id, device_key, event_id);

CREATE TABLE IF NOT EXISTS ${database}.attributed_events ${on_cluster}
(
    event_id String,
    app_id LowCardinality(String),
    device_key String,
    advertising_id Nullable(String),
    idfa Nullable(String),
    idfv Nullable(String),
    android_id Nullable(String),
    oaid Nullable(String),
    customer_user_id Nullable(String),
    platform Nullable(String),
    app_version Nullable(String),
    os_version Nullable(String),
    ip Nullable(String),
    user_agent Nullable(String),
    event_name String,
    revenue Nullable(String),
    currency Nullable(String),
    `values` Map(String, String),
    event_time DateTime64(3, 'UTC'),
    received_time DateTime64(3, 'UTC'),
    attribution_kind String,
    is_primary_attribution Bool,
    attribution_id Nullable(String),
    reengagement_id Nullable(String),
    conversion_type String,
    blocked_reason Nullable(String),
    media_source LowCardinality(String),
    campaign Nullable(String),
    adset Nullable(String),
    ad Nullable(String),
    touch_type Nullable(String),
    touch_id Nullable(String),
    touch_time Nullable(DateTime64(3, 'UTC')),
    match_type Nullable(String),
    site_id Nullable(String),
    network_click_id Nullable(String),
    install_time Nullable(DateTime64(3, 'UTC')),
    days_since_install Nullable(Int32)
)
ENGINE = ${replacing_merge_tree}
PARTITION BY toYYYYMM(event_time)
ORDER BY (app_id, toDate(event_time), event_id, attribution_kind);

CREATE TABLE IF NOT EXISTS ${database}.postback_deliveries ${on_cluster}
(
    delivery_id String,
    attempt Int32,
    app_id LowCardinality(String),
    kind String,
    media_source LowCardinality(String),
    endpoint String,
    host String,
    status String,
    http_status Nullable(Int32),
    latency_ms Nullable(Int64),
    attempted_at DateTime64(3, 'UTC'),
    next_attempt_at Nullable(DateTime64(3, 'UTC')),
    error Nullable(String)
)
ENGINE = ${replacing_merge_tree}
PARTITION BY toYYYYMM(attempted_at)
ORDER BY (app_id, host, delivery_id, attempt);

-- Not partitioned by month: a worker that rejects the same input again after
-- a crash writes a new received_time, and FINAL only collapses duplicates
-- inside one partition. Dead letters are few; a TTL can bound them.
CREATE TABLE IF NOT EXISTS ${database}.dead_letters ${on_cluster}
(
    topic String,
    `partition` Int32,
    `offset` Int64,
    reason String,
    received_time DateTime64(3, 'UTC'),
    raw Nullable(String)
)
ENGINE = ${replacing_merge_tree}
ORDER BY (topic, `partition`, `offset`);
