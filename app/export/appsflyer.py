"""Attributions as rows of AppsFlyer's raw-data "installs" report (Pull API / export page, v5).

The header is the report's default field list, in its order, followed by three
of its optional ``additional_fields`` (Match Type, Conversion Type, OAID), so a
team migrating can put an Attrib export beside an AppsFlyer one and compare
column by column. Columns Attrib has no data for (geo, carrier, cost, sub
params, AppsFlyer's own ids) are left empty, never invented; docs/analytics.md
lists the mapping. Times are UTC ``YYYY-MM-DD HH:MM:SS``, as in the report.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

#: AppsFlyer's default installs report columns, in order (raw data field dictionary, v5).
DEFAULT_COLUMNS = (
    "Attributed Touch Type", "Attributed Touch Time", "Install Time", "Event Time",
    "Event Name", "Event Value", "Event Revenue", "Event Revenue Currency",
    "Event Revenue USD", "Event Source", "Is Receipt Validated", "Partner", "Media Source",
    "Channel", "Keywords", "Campaign", "Campaign ID", "Adset", "Adset ID", "Ad", "Ad ID",
    "Ad Type", "Site ID", "Sub Site ID", "Sub Param 1", "Sub Param 2", "Sub Param 3",
    "Sub Param 4", "Sub Param 5", "Cost Model", "Cost Value", "Cost Currency",
    "Contributor 1 Partner", "Contributor 1 Media Source", "Contributor 1 Campaign",
    "Contributor 1 Touch Type", "Contributor 1 Touch Time",
    "Contributor 2 Partner", "Contributor 2 Media Source", "Contributor 2 Campaign",
    "Contributor 2 Touch Type", "Contributor 2 Touch Time",
    "Contributor 3 Partner", "Contributor 3 Media Source", "Contributor 3 Campaign",
    "Contributor 3 Touch Type", "Contributor 3 Touch Time",
    "Region", "Country Code", "State", "City", "Postal Code", "DMA", "IP", "WIFI",
    "Operator", "Carrier", "Language", "AppsFlyer ID", "Advertising ID", "IDFA",
    "Android ID", "Customer User ID", "IMEI", "IDFV", "Platform", "Device Type",
    "OS Version", "App Version", "SDK Version", "App ID", "App Name", "Bundle ID",
    "Is Retargeting", "Retargeting Conversion Type", "Attribution Lookback",
    "Reengagement Window", "Is Primary Attribution", "User Agent", "HTTP Referrer",
    "Original URL",
)  # fmt: skip
#: Optional fields of the report we fill, appended in this order.
ADDITIONAL_COLUMNS = ("Match Type", "Conversion Type", "OAID")
COLUMNS = DEFAULT_COLUMNS + ADDITIONAL_COLUMNS

#: Attrib's conversion type -> AppsFlyer's event name / conversion type.
EVENT_NAMES = {
    "install": "install",
    "blocked": "install",
    "reinstall": "reinstall",
    "reattribution": "re-attribution",
}
#: Attrib's match type (R5–R7) -> AppsFlyer's Match Type values.
MATCH_TYPES = {"id": "id_matching", "referrer": "gp_referrer", "probabilistic": "probabilistic"}


def af_time(ms: int | datetime | None) -> str:
    """``2026-09-21 10:05:00`` (UTC), or empty."""
    if ms is None:
        return ""
    at = ms if isinstance(ms, datetime) else datetime.fromtimestamp(ms / 1000, UTC)
    if at.tzinfo is not None:
        at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%d %H:%M:%S")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _flag(value: Any) -> str:
    return "true" if value else "false"


#: The fields of a contributor, in the order of ClickHouse's ``contributors`` tuples.
CONTRIBUTOR_FIELDS = (
    "touch_id",
    "touch_type",
    "touch_time",
    "media_source",
    "campaign",
    "match_type",
)


def _contributor(a: dict[str, Any], n: int, field: str) -> str:
    contributors = a.get("contributors") or []
    if n >= len(contributors):
        return ""
    c = contributors[n]
    if not isinstance(c, dict):  # a ClickHouse row's tuple
        c = dict(zip(CONTRIBUTOR_FIELDS, c, strict=True))
    if field == "Partner":
        return ""
    if field == "Touch Time":
        return af_time(c.get("touch_time"))
    key = {"Media Source": "media_source", "Campaign": "campaign", "Touch Type": "touch_type"}
    return _text(c.get(key[field]))


def _media_source(a: dict[str, Any]) -> str:
    return "organic" if a.get("status") == "organic" else _text(a.get("media_source"))


_Mapper = Callable[[dict[str, Any]], str]

#: Column -> how its value comes from an attribution record (the Avro record's fields,
#: or the ClickHouse ``attributions`` row, which has the same names). Absent: empty.
MAPPING: dict[str, _Mapper] = {
    "Attributed Touch Type": lambda a: _text(a.get("touch_type")),
    "Attributed Touch Time": lambda a: af_time(a.get("touch_time")),
    "Install Time": lambda a: af_time(a.get("install_time")),
    "Event Time": lambda a: af_time(a.get("install_time")),
    "Event Name": lambda a: EVENT_NAMES.get(a.get("conversion_type") or "", "install"),
    "Event Source": lambda a: "SDK",
    "Media Source": _media_source,
    "Campaign": lambda a: _text(a.get("campaign")),
    "Campaign ID": lambda a: _text(a.get("campaign_id")),
    "Adset": lambda a: _text(a.get("adset")),
    "Adset ID": lambda a: _text(a.get("adset_id")),
    "Ad": lambda a: _text(a.get("ad")),
    "Ad ID": lambda a: _text(a.get("ad_id")),
    "Site ID": lambda a: _text(a.get("site_id")),
    "Sub Site ID": lambda a: _text(a.get("sub_site_id")),
    "IP": lambda a: _text(a.get("ip")),
    "AppsFlyer ID": lambda a: _text(a.get("device_key")),
    "Advertising ID": lambda a: _text(a.get("advertising_id")),
    "IDFA": lambda a: _text(a.get("idfa")),
    "Android ID": lambda a: _text(a.get("android_id")),
    "Customer User ID": lambda a: _text(a.get("customer_user_id")),
    "IDFV": lambda a: _text(a.get("idfv")),
    "Platform": lambda a: _text(a.get("platform")),
    "OS Version": lambda a: _text(a.get("os_version")),
    "App Version": lambda a: _text(a.get("app_version")),
    "App ID": lambda a: _text(a.get("app_id")),
    "Is Retargeting": lambda a: _flag(a.get("is_retargeting")),
    "Retargeting Conversion Type": lambda a: (
        "re-attribution" if a.get("conversion_type") == "reattribution" else ""
    ),
    "Attribution Lookback": lambda a: _text(a.get("lookback")) if a.get("touch_id") else "",
    "Is Primary Attribution": lambda a: "true",
    "User Agent": lambda a: _text(a.get("user_agent")),
    "Match Type": lambda a: MATCH_TYPES.get(a.get("match_type") or "", ""),
    "Conversion Type": lambda a: EVENT_NAMES.get(a.get("conversion_type") or "", "install"),
    "OAID": lambda a: _text(a.get("oaid")),
}
for _n in range(3):
    for _field in ("Partner", "Media Source", "Campaign", "Touch Type", "Touch Time"):
        MAPPING[f"Contributor {_n + 1} {_field}"] = lambda a, n=_n, f=_field: _contributor(a, n, f)

#: The columns always empty: Attrib does not know these.
EMPTY_COLUMNS = tuple(c for c in COLUMNS if c not in MAPPING)


def row(attribution: dict[str, Any]) -> list[str]:
    """One report row of an attribution (Avro record or ClickHouse row)."""
    return [MAPPING[c](attribution) if c in MAPPING else "" for c in COLUMNS]


def reported(attribution: dict[str, Any]) -> bool:
    """Blocked installs (R31) are not in AppsFlyer's installs report (they have their own)."""
    return attribution.get("status") != "blocked"


def write_csv(attributions: Iterable[dict[str, Any]], out: io.TextIOBase | Any) -> int:
    """Header and one row per reported attribution to ``out``; returns the number of rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    n = 0
    for a in filter(reported, attributions):
        writer.writerow(row(a))
        n += 1
    return n


__all__ = ["COLUMNS", "EMPTY_COLUMNS", "MAPPING", "af_time", "reported", "row", "write_csv"]
