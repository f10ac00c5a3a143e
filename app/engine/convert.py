"""Records (Avro dicts) to the rules' model, and a decision back to a record.

The rules never see Avro or the app-config model; this module is the only
translation between them, so a field added to a record or to the
configuration changes one place.
"""

from __future__ import annotations

import uuid
from typing import Any

from attrib.config import AppConfig
from attrib.engine.index import index_keys
from attrib.identifiers import normalise_identifiers
from attrib.rules.matching import referrer_touch_id
from attrib.rules.model import (
    Decision,
    Install,
    MediaSourceWindows,
    RuleSettings,
    Session,
    Touch,
)

#: Identifier fields of touch and install records (streams.md).
TOUCH_ID_FIELDS = ("advertising_id", "idfa", "android_id", "oaid")
INSTALL_ID_FIELDS = ("advertising_id", "idfa", "idfv", "android_id", "oaid", "customer_user_id")

#: attribution_id = uuid5(namespace, "app_id|install event_id"): stable for the install event.
_ATTRIBUTION_NS = uuid.UUID("6f0cf2a4-5b1e-4a53-9a57-2c0e0b7f8a11")
#: reengagement_id = uuid5(namespace, "app_id|session event_id"): stable for the session event.
_REENGAGEMENT_NS = uuid.UUID("0b7c2d4e-9f13-4c8a-a6d1-3e5f7a9b1c2d")


def attribution_id_for(app_id: str, event_id: str) -> str:
    """The stable id of the decision of one install event (R26: replays keep it)."""
    return str(uuid.uuid5(_ATTRIBUTION_NS, f"{app_id}|{event_id}"))


def reengagement_id_for(app_id: str, session_event_id: str) -> str:
    """The stable id of the re-engagement of one session event (R26: replays keep it)."""
    return str(uuid.uuid5(_REENGAGEMENT_NS, f"{app_id}|{session_event_id}"))


def touch_from_record(record: dict[str, Any]) -> Touch:
    ids = normalise_identifiers({k: record.get(k) for k in TOUCH_ID_FIELDS})
    return Touch(
        touch_id=record["touch_id"],
        touch_type=record["touch_type"],
        app_id=record["app_id"],
        media_source=record["media_source"],
        touch_time=record["touch_time"],
        identifiers=ids,
        campaign=record.get("campaign"),
        campaign_id=record.get("campaign_id"),
        adset=record.get("adset"),
        adset_id=record.get("adset_id"),
        ad=record.get("ad"),
        ad_id=record.get("ad_id"),
        site_id=record.get("site_id"),
        sub_site_id=record.get("sub_site_id"),
        network_click_id=record.get("network_click_id"),
        is_retargeting=bool(record.get("is_retargeting")),
        ip=record.get("ip"),
        user_agent=record.get("user_agent"),
        click_lookback_ms=record.get("click_lookback_ms"),
        view_lookback_ms=record.get("view_lookback_ms"),
    )


def touch_record_index_keys(record: dict[str, Any]) -> list[str]:
    """The index keys of a ``Touch`` record: ``touch_index_keys(touch_from_record(record))``
    without building the :class:`Touch` (the intake does this once per touch)."""
    ids = normalise_identifiers({k: record.get(k) for k in TOUCH_ID_FIELDS})
    return index_keys(
        record["app_id"],
        record["touch_type"],
        record["touch_id"],
        ids,
        record.get("ip"),
        record.get("user_agent"),
    )


def install_from_record(record: dict[str, Any]) -> Install:
    ids = normalise_identifiers({k: record.get(k) for k in INSTALL_ID_FIELDS})
    return Install(
        event_id=record["event_id"],
        app_id=record["app_id"],
        device_key=record["device_key"],
        install_time=record["event_time"],
        identifiers=ids,
        received_time=record.get("received_time"),
        ip=record.get("ip"),
        user_agent=record.get("user_agent"),
        platform=record.get("platform"),
        os_version=record.get("os_version"),
        referrer_touch_id=referrer_touch_id(record.get("install_referrer")),
        install_begin_ts=record.get("install_begin_ts"),
    )


def session_from_record(record: dict[str, Any]) -> Session:
    """A ``sessions`` record as the rules see it.

    Session v2 names the click that opened the app (``referrer_touch_id``,
    read by the collector from the deep link) for R23's referrer match; v1
    records decode with it ``None`` and re-engage by id only.
    """
    ids = normalise_identifiers({k: record.get(k) for k in INSTALL_ID_FIELDS})
    return Session(
        event_id=record["event_id"],
        app_id=record["app_id"],
        device_key=record["device_key"],
        session_time=record["event_time"],
        identifiers=ids,
        referrer_touch_id=record.get("referrer_touch_id"),
    )


def decision_from_attribution(record: dict[str, Any]) -> Decision:
    """The rules' view of a stored ``attributions`` record (for its events, R24).

    The touch is rebuilt from the record's touch fields; what events need of
    it (source, campaign, ids for postbacks) is all there.
    """
    winner = None
    if record.get("touch_id") is not None:
        winner = Touch(
            touch_id=record["touch_id"],
            touch_type=record["touch_type"],
            app_id=record["app_id"],
            media_source=record["media_source"],
            touch_time=record["touch_time"],
            campaign=record.get("campaign"),
            campaign_id=record.get("campaign_id"),
            adset=record.get("adset"),
            adset_id=record.get("adset_id"),
            ad=record.get("ad"),
            ad_id=record.get("ad_id"),
            site_id=record.get("site_id"),
            sub_site_id=record.get("sub_site_id"),
            network_click_id=record.get("network_click_id"),
        )
    return Decision(
        conversion_type=record["conversion_type"],
        status=record["status"],
        winner=winner,
        match_type=record.get("match_type"),
        lookback=record.get("lookback"),
        ctit_seconds=record.get("ctit_seconds"),
        blocked_reason=record.get("blocked_reason"),
        is_retargeting=bool(record.get("is_retargeting")),
    )


_settings_cache: dict[int, tuple[AppConfig, RuleSettings]] = {}


def rule_settings(config: AppConfig) -> RuleSettings:
    """The rules' view of an app configuration, built once per configuration object (R22)."""
    cached = _settings_cache.get(id(config))
    if cached is not None and cached[0] is config:
        return cached[1]
    a, f = config.attribution, config.fraud
    settings = RuleSettings(
        click_lookback_ms=a.click_lookback_ms,
        view_lookback_ms=a.view_lookback_ms,
        probabilistic_lookback_ms=a.probabilistic_lookback_ms,
        probabilistic_view_lookback_ms=a.probabilistic_view_lookback_ms,
        per_media_source={
            source: MediaSourceWindows(w.click_lookback_ms, w.view_lookback_ms)
            for source, w in a.per_media_source.items()
        },
        reattribution_window_ms=a.reattribution_window_ms,
        reengagement_window_ms=a.reengagement_window_ms,
        inactivity_period_ms=a.inactivity_period_ms,
        min_ctit_ms=f.min_ctit_ms,
        max_touches_per_device_per_hour=f.max_touches_per_device_per_hour,
        ip_blocklist=tuple(f.ip_networks),
        blocked_devices=frozenset(f.blocked_device_values),
    )
    if len(_settings_cache) > 10_000:
        _settings_cache.clear()
    _settings_cache[id(config)] = (config, settings)
    return settings


def attribution_record(
    install: dict[str, Any], decision: Decision, *, decided_time: int
) -> dict[str, Any]:
    """The ``attributions`` record of a decision (streams.md, Output record)."""
    w = decision.winner
    app_id, event_id = install["app_id"], install["event_id"]
    return {
        "attribution_id": attribution_id_for(app_id, event_id),
        "app_id": app_id,
        "device_key": install["device_key"],
        "install_event_id": event_id,
        "conversion_type": decision.conversion_type,
        "status": decision.status,
        "install_time": install["event_time"],
        "received_time": install["received_time"],
        "decided_time": decided_time,
        "touch_id": w.touch_id if w else None,
        "touch_type": w.touch_type if w else None,
        "touch_time": w.touch_time if w else None,
        "match_type": decision.match_type,
        "media_source": decision.media_source,
        "campaign": w.campaign if w else None,
        "campaign_id": w.campaign_id if w else None,
        "adset": w.adset if w else None,
        "adset_id": w.adset_id if w else None,
        "ad": w.ad if w else None,
        "ad_id": w.ad_id if w else None,
        "site_id": w.site_id if w else None,
        "sub_site_id": w.sub_site_id if w else None,
        "network_click_id": w.network_click_id if w else None,
        "is_retargeting": decision.is_retargeting,
        "ctit_seconds": decision.ctit_seconds,
        "lookback": decision.lookback,
        "contributors": [
            {
                "touch_id": c.touch_id,
                "touch_type": c.touch_type,
                "touch_time": c.touch_time,
                "media_source": c.media_source,
                "campaign": c.campaign,
                "match_type": c.match_type,
            }
            for c in decision.contributors
        ],
        "blocked_reason": decision.blocked_reason,
        "rejected_touches": [
            {"touch_id": r.touch_id, "media_source": r.media_source, "reason": r.reason}
            for r in decision.rejected_touches
        ],
        "platform": install.get("platform"),
        "app_version": install.get("app_version"),
        "os_version": install.get("os_version"),
        "ip": install.get("ip"),
        "user_agent": install.get("user_agent"),
        **{k: install.get(k) for k in INSTALL_ID_FIELDS},
    }
