-- Version 2: day summaries, the tables the overview, daily, retention, ctit and
-- fraud reports read (docs/analytics.md, Summaries).
--
-- A summary row is an aggregate of one app and one day, computed from the
-- base tables with FINAL, so it is exact by the same mechanism as the
-- reports before it (a replayed record or a re-made decision counts once).
-- attrib.analytics.summaries refreshes the (app, day) keys whose base rows
-- were inserted since its last run, found by `_inserted_at` (set by the
-- server on insert, a minmax index makes "inserted lately" cheap), and
-- writes all rows of a key with one new `version`; readers take, per app
-- and day, the rows of its newest version only. ReplacingMergeTree(version)
-- lets merges drop the older versions of a group; a group a refresh no
-- longer produces keeps an old version, which readers skip.

ALTER TABLE ${database}.touches ${on_cluster}
    ADD COLUMN IF NOT EXISTS _inserted_at DateTime64(3, 'UTC') MATERIALIZED now64(3);

ALTER TABLE ${database}.touches ${on_cluster}
    ADD INDEX IF NOT EXISTS inserted_at_minmax _inserted_at TYPE minmax GRANULARITY 1;

ALTER TABLE ${database}.touches ${on_cluster}
    MATERIALIZE COLUMN _inserted_at SETTINGS mutations_sync = 2;

ALTER TABLE ${database}.attributions ${on_cluster}
    ADD COLUMN IF NOT EXISTS _inserted_at DateTime64(3, 'UTC') MATERIALIZED now64(3);

ALTER TABLE ${database}.attributions ${on_cluster}
    ADD INDEX IF NOT EXISTS inserted_at_minmax _inserted_at TYPE minmax GRANULARITY 1;

ALTER TABLE ${database}.attributions ${on_cluster}
    MATERIALIZE COLUMN _inserted_at SETTINGS mutations_sync = 2;

ALTER TABLE ${database}.reengagements ${on_cluster}
    ADD COLUMN IF NOT EXISTS _inserted_at DateTime64(3, 'UTC') MATERIALIZED now64(3);

ALTER TABLE ${database}.reengagements ${on_cluster}
    ADD INDEX IF NOT EXISTS inserted_at_minmax _inserted_at TYPE minmax GRANULARITY 1;

ALTER TABLE ${database}.reengagements ${on_cluster}
    MATERIALIZE COLUMN _inserted_at SETTINGS mutations_sync = 2;

ALTER TABLE ${database}.sessions ${on_cluster}
    ADD COLUMN IF NOT EXISTS _inserted_at DateTime64(3, 'UTC') MATERIALIZED now64(3);

ALTER TABLE ${database}.sessions ${on_cluster}
    ADD INDEX IF NOT EXISTS inserted_at_minmax _inserted_at TYPE minmax GRANULARITY 1;

ALTER TABLE ${database}.sessions ${on_cluster}
    MATERIALIZE COLUMN _inserted_at SETTINGS mutations_sync = 2;

ALTER TABLE ${database}.attributed_events ${on_cluster}
    ADD COLUMN IF NOT EXISTS _inserted_at DateTime64(3, 'UTC') MATERIALIZED now64(3);

ALTER TABLE ${database}.attributed_events ${on_cluster}
    ADD INDEX IF NOT EXISTS inserted_at_minmax _inserted_at TYPE minmax GRANULARITY 1;

ALTER TABLE ${database}.attributed_events ${on_cluster}
    MATERIALIZE COLUMN _inserted_at SETTINGS mutations_sync = 2;

CREATE TABLE IF NOT EXISTS ${database}.daily_summary ${on_cluster}
(
    app_id LowCardinality(String),
    day Date,
    media_source LowCardinality(String),
    campaign String,
    impressions UInt64,
    clicks UInt64,
    installs UInt64,
    organic_installs UInt64,
    reattributions UInt64,
    reengagements UInt64,
    blocked_installs UInt64,
    events UInt64,
    revenue Map(String, Decimal(38, 6)),
    version UInt64
)
ENGINE = ${replacing_merge_tree}(version)
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, day, media_source, campaign);

CREATE TABLE IF NOT EXISTS ${database}.retention_summary ${on_cluster}
(
    app_id LowCardinality(String),
    install_day Date,
    media_source LowCardinality(String),
    installs UInt64,
    retained_1 UInt64,
    retained_3 UInt64,
    retained_7 UInt64,
    retained_14 UInt64,
    retained_30 UInt64,
    version UInt64
)
ENGINE = ${replacing_merge_tree}(version)
PARTITION BY toYYYYMM(install_day)
ORDER BY (app_id, install_day, media_source);

CREATE TABLE IF NOT EXISTS ${database}.fraud_summary ${on_cluster}
(
    app_id LowCardinality(String),
    day Date,
    kind LowCardinality(String),
    reason String,
    media_source LowCardinality(String),
    count UInt64,
    touch_ids Array(String),
    version UInt64
)
ENGINE = ${replacing_merge_tree}(version)
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, day, kind, reason, media_source);

CREATE TABLE IF NOT EXISTS ${database}.ctit_summary ${on_cluster}
(
    app_id LowCardinality(String),
    day Date,
    media_source LowCardinality(String),
    site_id String,
    installs UInt64,
    under_10s UInt64,
    under_1m UInt64,
    under_10m UInt64,
    under_1h UInt64,
    under_24h UInt64,
    up_to_7d UInt64,
    over_7d UInt64,
    version UInt64
)
ENGINE = ${replacing_merge_tree}(version)
PARTITION BY toYYYYMM(day)
ORDER BY (app_id, day, media_source, site_id);

CREATE TABLE IF NOT EXISTS ${database}.summary_watermarks ${on_cluster}
(
    name String,
    watermark DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ${replacing_merge_tree}(updated_at)
ORDER BY name;
