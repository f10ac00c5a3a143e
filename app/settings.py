"""Deployment settings: ``ATTRIB_*`` environment variables over a settings file.

Every process (collector, worker, CLI) reads the same :class:`Settings`. The
defaults serve the local stack of operations.md; Kubernetes sets the
environment. A settings file (TOML, the same names in lower case without the
prefix) is read from ``ATTRIB_SETTINGS_FILE`` when set; environment variables
win over it.

Secrets (passwords, the admin token) are held in :class:`Secret` so that a
settings object can be logged or printed without leaking them.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import os
import secrets as _secrets
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from attrib.durations import parse_duration

ENV_PREFIX = "ATTRIB_"
#: The most ``collector_linger_ms`` may be: a record may wait that long before it is sent.
MAX_LINGER_MS = 1000.0
#: Bounds of ``collector_header_limit`` (bytes of one request or header line).
MIN_HEADER_LIMIT = 1024
MAX_HEADER_LIMIT = 65_536
#: The longest ``broker_unreachable_grace`` (10 minutes).
MAX_BROKER_GRACE_MS = 600_000


class Secret(str):
    """A string whose ``repr`` hides its value (passwords, tokens)."""

    def __repr__(self) -> str:
        return "Secret('***')" if self else "Secret('')"

    def reveal(self) -> str:
        return str.__str__(self)


NO_SECRET = Secret("")


class SettingsError(ValueError):
    """A setting with a value that cannot be used; the message names it."""


def _cidrs(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    out = []
    for part in text.split(","):
        part = part.strip()
        if part:
            out.append(ipaddress.ip_network(part, strict=False))
    return tuple(out)


@dataclass(frozen=True)
class Settings:
    """All deployment settings. Field names are the env names without ``ATTRIB_``."""

    # Kafka
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_security_protocol: str = "PLAINTEXT"  # PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL
    kafka_sasl_mechanism: str = "PLAIN"
    kafka_sasl_username: str = ""
    kafka_sasl_password: Secret = NO_SECRET
    kafka_ssl_cafile: str = ""
    topic_prefix: str = "attrib."
    topic_partitions: int = 4
    topic_replication: int = 1
    # ClickHouse
    clickhouse_url: str = "http://127.0.0.1:8123"
    clickhouse_user: str = "default"
    clickhouse_password: Secret = NO_SECRET
    clickhouse_database: str = "attrib"
    clickhouse_cluster: str = ""  # non-empty: DDL uses ON CLUSTER and replicated engines
    # Services
    collector_host: str = "127.0.0.1"
    collector_port: int = 8080
    # How long the collector's producer gathers records into one produce request
    # (librdkafka's linger.ms): lower answers sooner, higher costs the brokers less.
    collector_linger_ms: float = 1.0
    # The collector's front door (attrib.web.limits): open connections beyond this
    # are answered 503 and closed; header lines longer than this many bytes are
    # answered 431; a request whose headers and body have not all arrived within the
    # read timeout is answered 408 and its connection closed; a keep-alive connection
    # idle this long is closed.
    collector_max_connections: int = 4096
    collector_header_limit: int = 8192
    collector_read_timeout: str = "10s"
    collector_keepalive_timeout: str = "75s"
    worker_host: str = "127.0.0.1"
    worker_port: int = 6066
    # Where the collector forwards conversion-data requests (any worker; it routes on).
    worker_url: str = "http://127.0.0.1:6066"
    admin_token: Secret = NO_SECRET
    data_dir: str = ".attrib"
    trusted_proxy_cidrs: str = ""
    trusted_s2s_cidrs: str = "127.0.0.0/8,::1/128"
    decision_delay: str = "1s"
    log_level: str = "warning"
    # The Faust application id: names consumer groups, changelog and repartition topics.
    faust_app_id: str = "attrib"
    # Run the ClickHouse sink inside the worker ("false": run `attrib sink` separately).
    worker_sink: bool = True
    # Standby copies of every table partition on other workers (faster failover).
    table_standby_replicas: int = 0
    # Static consumer-group membership (Kafka's group.instance.id): a stable id per
    # worker, e.g. the StatefulSet pod name, so that a restart within the session
    # timeout keeps the worker's partitions without a rebalance. Empty: dynamic.
    worker_id: str = ""
    # How long the Kafka broker may be unreachable before /readyz answers 503
    # (collector and worker); readiness comes back by itself once it answers again.
    broker_unreachable_grace: str = "15s"
    # R25: how long an in-app event waits for its install (the spec says 10 minutes;
    # tests shorten it).
    event_hold: str = "10m"
    # How often each touch-index partition is swept by a timer (writes sweep too).
    index_sweep_interval_s: float = 5.0
    # How the intake writes touch-index envelopes: "packed" (TouchIndexPack), or
    # "records" (TouchIndexBatch, what workers before 2026-12-06 read) while a rolling
    # upgrade from such a version is under way (docs/operations.md, Upgrade).
    touch_index_envelope: str = "packed"
    # A device (and its conversion data) untouched this long, in processing time and
    # in event time, is forgotten: the longest re-attribution window (730d) plus the
    # longest inactivity period (30d) by default.
    device_retention: str = "760d"
    # R26: how much event time a device's install, session and event ids are
    # remembered for (repeats inside it have one effect), at least 30 days.
    dedupe_window: str = "30d"
    # Postbacks and push (R35, R36; docs/operations.md, Delivery).
    # Run the delivery stage inside the worker ("false": run `attrib deliver` separately).
    worker_deliver: bool = True
    # Delays before each retry, after the previous attempt (R35); tests shorten them.
    delivery_retry_schedule: str = "1m,5m,15m,30m,60m"
    delivery_timeout: str = "10s"
    # Networks no delivery may reach, checked on the resolved address of every connection.
    delivery_blocked_networks: str = "169.254.0.0/16,fe80::/10,fd00:ec2::254/128"
    delivery_max_in_flight: int = 256
    delivery_max_per_host: int = 16
    # The raw archive (docs/archive.md): a local folder or s3://bucket/prefix; empty:
    # <data_dir>/archive. Run the archiver inside the worker, or `attrib archive`.
    # How often the ClickHouse sink refreshes the day summaries the reports read
    # (docs/analytics.md, Summaries); every report run refreshes them too.
    summary_refresh_interval: str = "10s"
    archive_url: str = ""
    worker_archive: bool = False
    # A partition's buffer is written as Parquet at whichever comes first.
    archive_flush_rows: int = 200_000
    archive_flush_bytes: int = 64 << 20
    archive_flush_interval: str = "5m"

    # ---- derived values -------------------------------------------------
    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).resolve()

    @property
    def archive_location(self) -> str:
        """Where the archive is: ``archive_url``, or the ``archive`` folder of ``data_dir``."""
        return self.archive_url or str(self.data_path / "archive")

    @property
    def summary_refresh_interval_s(self) -> float:
        return parse_duration(self.summary_refresh_interval) / 1000.0

    @property
    def archive_flush_interval_s(self) -> float:
        return parse_duration(self.archive_flush_interval) / 1000.0

    @property
    def collector_read_timeout_s(self) -> float:
        return parse_duration(self.collector_read_timeout) / 1000.0

    @property
    def collector_keepalive_timeout_s(self) -> float:
        return parse_duration(self.collector_keepalive_timeout) / 1000.0

    @property
    def decision_delay_ms(self) -> int:
        return parse_duration(self.decision_delay)

    @property
    def broker_unreachable_grace_s(self) -> float:
        return parse_duration(self.broker_unreachable_grace) / 1000.0

    @property
    def event_hold_ms(self) -> int:
        return parse_duration(self.event_hold)

    @property
    def dedupe_window_ms(self) -> int:
        return parse_duration(self.dedupe_window)

    @property
    def device_retention_ms(self) -> int:
        return parse_duration(self.device_retention)

    @property
    def delivery_timeout_ms(self) -> int:
        return parse_duration(self.delivery_timeout)

    @property
    def delivery_retry_delays_ms(self) -> tuple[int, ...]:
        return tuple(
            parse_duration(p) for p in self.delivery_retry_schedule.split(",") if p.strip()
        )

    @property
    def delivery_blocked(self) -> tuple[Any, ...]:
        return _cidrs(self.delivery_blocked_networks)

    @property
    def trusted_proxies(self) -> tuple[Any, ...]:
        return _cidrs(self.trusted_proxy_cidrs)

    @property
    def trusted_s2s(self) -> tuple[Any, ...]:
        return _cidrs(self.trusted_s2s_cidrs)

    def topic(self, name: str) -> str:
        """Full name of one of streams.md's topics, e.g. ``topic("clicks")``."""
        return f"{self.topic_prefix}{name}"

    def validate(self) -> Settings:
        """Raise :class:`SettingsError` naming the first unusable setting."""
        try:
            delay = self.decision_delay_ms
        except ValueError as exc:
            raise SettingsError(f"ATTRIB_DECISION_DELAY: {exc}") from exc
        if not 0 <= delay <= 60_000:
            raise SettingsError("ATTRIB_DECISION_DELAY: must be between 0s and 60s")
        for name, low in (
            ("event_hold", 1_000),
            ("device_retention", 86_400_000),
            ("dedupe_window", 30 * 86_400_000),
        ):
            try:
                value = parse_duration(getattr(self, name))
            except ValueError as exc:
                raise SettingsError(f"ATTRIB_{name.upper()}: {exc}") from exc
            if value < low:
                raise SettingsError(f"ATTRIB_{name.upper()}: must be at least {low // 1000}s")
        if not 0.05 <= self.index_sweep_interval_s <= 3600:
            raise SettingsError("ATTRIB_INDEX_SWEEP_INTERVAL_S: must be between 0.05 and 3600")
        if self.touch_index_envelope not in ("packed", "records"):
            raise SettingsError("ATTRIB_TOUCH_INDEX_ENVELOPE: must be packed or records")
        try:
            delays = self.delivery_retry_delays_ms
        except ValueError as exc:
            raise SettingsError(f"ATTRIB_DELIVERY_RETRY_SCHEDULE: {exc}") from exc
        if any(d <= 0 for d in delays):
            raise SettingsError("ATTRIB_DELIVERY_RETRY_SCHEDULE: every delay must be positive")
        try:
            timeout = self.delivery_timeout_ms
        except ValueError as exc:
            raise SettingsError(f"ATTRIB_DELIVERY_TIMEOUT: {exc}") from exc
        if not 1 <= timeout <= 600_000:
            raise SettingsError("ATTRIB_DELIVERY_TIMEOUT: must be between 1ms and 10m")
        for name in ("delivery_max_in_flight", "delivery_max_per_host"):
            if getattr(self, name) < 1:
                raise SettingsError(f"ATTRIB_{name.upper()}: must be at least 1")
        for name in ("trusted_proxy_cidrs", "trusted_s2s_cidrs", "delivery_blocked_networks"):
            try:
                _cidrs(getattr(self, name))
            except ValueError as exc:
                raise SettingsError(f"ATTRIB_{name.upper()}: {exc}") from exc
        try:
            grace_ms = parse_duration(self.broker_unreachable_grace)
        except ValueError as exc:
            raise SettingsError(f"ATTRIB_BROKER_UNREACHABLE_GRACE: {exc}") from exc
        if not 0 <= grace_ms <= MAX_BROKER_GRACE_MS:
            raise SettingsError("ATTRIB_BROKER_UNREACHABLE_GRACE: must be between 0s and 10m")
        if self.topic_partitions < 1:
            raise SettingsError("ATTRIB_TOPIC_PARTITIONS: must be at least 1")
        try:
            refresh_ms = parse_duration(self.summary_refresh_interval)
        except ValueError as exc:
            raise SettingsError(f"ATTRIB_SUMMARY_REFRESH_INTERVAL: {exc}") from exc
        if not 100 <= refresh_ms <= 3_600_000:
            raise SettingsError("ATTRIB_SUMMARY_REFRESH_INTERVAL: must be between 100ms and 1h")
        for name in ("archive_flush_rows", "archive_flush_bytes"):
            if getattr(self, name) < 1:
                raise SettingsError(f"ATTRIB_{name.upper()}: must be at least 1")
        try:
            interval_ms = parse_duration(self.archive_flush_interval)
        except ValueError as exc:
            raise SettingsError(f"ATTRIB_ARCHIVE_FLUSH_INTERVAL: {exc}") from exc
        if not 100 <= interval_ms <= 86_400_000:
            raise SettingsError("ATTRIB_ARCHIVE_FLUSH_INTERVAL: must be between 100ms and 24h")
        if not 0 <= self.collector_linger_ms <= MAX_LINGER_MS:
            raise SettingsError(
                f"ATTRIB_COLLECTOR_LINGER_MS: must be between 0 and {MAX_LINGER_MS:g} ms"
            )
        self._validate_collector_limits()
        return self

    def _validate_collector_limits(self) -> None:
        if self.collector_max_connections < 1:
            raise SettingsError("ATTRIB_COLLECTOR_MAX_CONNECTIONS: must be at least 1")
        if not MIN_HEADER_LIMIT <= self.collector_header_limit <= MAX_HEADER_LIMIT:
            raise SettingsError(
                f"ATTRIB_COLLECTOR_HEADER_LIMIT: must be between {MIN_HEADER_LIMIT} and "
                f"{MAX_HEADER_LIMIT} bytes"
            )
        for name, low, high, words in (
            ("collector_read_timeout", 100, 600_000, "100ms and 10m"),
            ("collector_keepalive_timeout", 100, 3_600_000, "100ms and 1h"),
        ):
            try:
                value = parse_duration(getattr(self, name))
            except ValueError as exc:
                raise SettingsError(f"ATTRIB_{name.upper()}: {exc}") from exc
            if not low <= value <= high:
                raise SettingsError(f"ATTRIB_{name.upper()}: must be between {words}")

    def with_admin_token(self) -> Settings:
        """Fill in the admin token: the setting, else ``<data_dir>/admin-token``
        (created with mode 0600 on first use)."""
        if self.admin_token:
            return self
        return dataclasses.replace(self, admin_token=Secret(load_or_create_admin_token(self)))


def load_or_create_admin_token(settings: Settings) -> str:
    path = settings.data_path / "admin-token"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    token = _secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    return token


def _coerce(kind: Any, raw: Any, name: str) -> Any:
    if kind in (int, "int"):
        try:
            return int(raw)
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"ATTRIB_{name.upper()}: expected an integer, got {raw!r}") from exc
    if kind in (float, "float"):
        try:
            number = float(raw)
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"ATTRIB_{name.upper()}: expected a number, got {raw!r}") from exc
        if not math.isfinite(number):
            raise SettingsError(f"ATTRIB_{name.upper()}: expected a finite number, got {raw!r}")
        return number
    if kind in (bool, "bool"):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"ATTRIB_{name.upper()}: expected true or false, got {raw!r}")
    if kind in (Secret, "Secret"):
        return Secret(str(raw))
    return str(raw)


def load_settings(env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from the settings file, then ``ATTRIB_*`` env vars, then ``overrides``."""
    env = dict(os.environ if env is None else env)
    values: dict[str, Any] = {}
    settings_file = env.get(ENV_PREFIX + "SETTINGS_FILE")
    if settings_file:
        with open(settings_file, "rb") as fh:
            values.update(tomllib.load(fh))
    for f in fields(Settings):
        key = ENV_PREFIX + f.name.upper()
        if key in env:
            values[f.name] = env[key]
    values.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name: f.type for f in fields(Settings)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")
    coerced = {k: _coerce(known[k], v, k) for k, v in values.items()}
    return Settings(**coerced).validate()


__all__ = ["Secret", "Settings", "SettingsError", "load_or_create_admin_token", "load_settings"]
