"""``attrib export installs --format appsflyer-raw``: AppsFlyer's installs report layout."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner

from attrib.cli.export import export
from attrib.export.appsflyer import COLUMNS, EMPTY_COLUMNS, row, write_csv
from tests.replay.helpers import demo_live, write_archive

#: The golden header: AppsFlyer's default installs report fields, then three additional ones.
GOLDEN = (
    "Attributed Touch Type,Attributed Touch Time,Install Time,Event Time,Event Name,Event Value,"
    "Event Revenue,Event Revenue Currency,Event Revenue USD,Event Source,Is Receipt Validated,"
    "Partner,Media Source,Channel,Keywords,Campaign,Campaign ID,Adset,Adset ID,Ad,Ad ID,Ad Type,"
    "Site ID,Sub Site ID,Sub Param 1,Sub Param 2,Sub Param 3,Sub Param 4,Sub Param 5,Cost Model,"
    "Cost Value,Cost Currency,Contributor 1 Partner,Contributor 1 Media Source,"
    "Contributor 1 Campaign,Contributor 1 Touch Type,Contributor 1 Touch Time,"
    "Contributor 2 Partner,Contributor 2 Media Source,Contributor 2 Campaign,"
    "Contributor 2 Touch Type,Contributor 2 Touch Time,Contributor 3 Partner,"
    "Contributor 3 Media Source,Contributor 3 Campaign,Contributor 3 Touch Type,"
    "Contributor 3 Touch Time,Region,Country Code,State,City,Postal Code,DMA,IP,WIFI,Operator,"
    "Carrier,Language,AppsFlyer ID,Advertising ID,IDFA,Android ID,Customer User ID,IMEI,IDFV,"
    "Platform,Device Type,OS Version,App Version,SDK Version,App ID,App Name,Bundle ID,"
    "Is Retargeting,Retargeting Conversion Type,Attribution Lookback,Reengagement Window,"
    "Is Primary Attribution,User Agent,HTTP Referrer,Original URL,Match Type,Conversion Type,OAID"
)

ATTRIBUTION = {
    "attribution_id": "a-1",
    "app_id": "com.example.game",
    "device_key": "advertising_id:3f1c2a1e-0000-4000-8000-000000000001",
    "install_event_id": "i-1",
    "conversion_type": "install",
    "status": "non_organic",
    "install_time": 1_790_000_000_000,  # 2026-09-21 14:13:20 UTC
    "touch_id": "t-1",
    "touch_type": "click",
    "touch_time": 1_789_999_400_000,  # ten minutes before
    "match_type": "id",
    "media_source": "googleadwords_int",
    "campaign": "search_brand",
    "campaign_id": "c9",
    "adset": "brand_us",
    "adset_id": "as9",
    "ad": "banner",
    "ad_id": "ad9",
    "site_id": "youtube",
    "sub_site_id": "yt-home",
    "is_retargeting": False,
    "lookback": "7d",
    "contributors": [
        {
            "touch_id": "t-0",
            "touch_type": "impression",
            "touch_time": 1_789_990_000_000,
            "media_source": "unityads_int",
            "campaign": "rewarded",
            "match_type": "id",
        }
    ],
    "blocked_reason": None,
    "platform": "android",
    "app_version": "2.3.1",
    "os_version": "14",
    "ip": "198.51.100.7",
    "user_agent": "Mozilla/5.0 (Linux; Android 14)",
    "advertising_id": "3f1c2a1e-0000-4000-8000-000000000001",
    "idfa": None,
    "idfv": None,
    "android_id": "4b3e90b7d7435571",
    "oaid": None,
    "customer_user_id": "user-42",
}


def test_the_header_is_appsflyers() -> None:
    out = io.StringIO()
    write_csv([], out)
    assert out.getvalue() == GOLDEN + "\n"
    assert len(COLUMNS) == 81 + 3


def test_one_rows_known_values() -> None:
    values = dict(zip(COLUMNS, row(ATTRIBUTION), strict=True))
    assert {k: v for k, v in values.items() if v} == {
        "Attributed Touch Type": "click",
        "Attributed Touch Time": "2026-09-21 14:03:20",
        "Install Time": "2026-09-21 14:13:20",
        "Event Time": "2026-09-21 14:13:20",
        "Event Name": "install",
        "Event Source": "SDK",
        "Media Source": "googleadwords_int",
        "Campaign": "search_brand",
        "Campaign ID": "c9",
        "Adset": "brand_us",
        "Adset ID": "as9",
        "Ad": "banner",
        "Ad ID": "ad9",
        "Site ID": "youtube",
        "Sub Site ID": "yt-home",
        "Contributor 1 Media Source": "unityads_int",
        "Contributor 1 Campaign": "rewarded",
        "Contributor 1 Touch Type": "impression",
        "Contributor 1 Touch Time": "2026-09-21 11:26:40",
        "IP": "198.51.100.7",
        "AppsFlyer ID": "advertising_id:3f1c2a1e-0000-4000-8000-000000000001",
        "Advertising ID": "3f1c2a1e-0000-4000-8000-000000000001",
        "Android ID": "4b3e90b7d7435571",
        "Customer User ID": "user-42",
        "Platform": "android",
        "OS Version": "14",
        "App Version": "2.3.1",
        "App ID": "com.example.game",
        "Is Retargeting": "false",
        "Attribution Lookback": "7d",
        "Is Primary Attribution": "true",
        "User Agent": "Mozilla/5.0 (Linux; Android 14)",
        "Match Type": "id_matching",
        "Conversion Type": "install",
    }


def test_an_organic_install_and_a_reattribution() -> None:
    organic = {
        **ATTRIBUTION,
        "status": "organic",
        "media_source": "organic",
        "touch_id": None,
        "touch_type": None,
        "touch_time": None,
        "match_type": None,
        "contributors": [],
    }
    values = dict(zip(COLUMNS, row(organic), strict=True))
    assert (values["Media Source"], values["Attributed Touch Type"]) == ("organic", "")
    assert (values["Match Type"], values["Attribution Lookback"]) == ("", "")
    again = {**ATTRIBUTION, "conversion_type": "reattribution", "is_retargeting": True}
    values = dict(zip(COLUMNS, row(again), strict=True))
    assert values["Retargeting Conversion Type"] == "re-attribution"
    assert (values["Event Name"], values["Is Retargeting"]) == ("re-attribution", "true")


def test_blocked_installs_are_left_out() -> None:
    out = io.StringIO()
    assert write_csv([ATTRIBUTION, {**ATTRIBUTION, "status": "blocked"}], out) == 1


def test_columns_left_empty_are_the_ones_attrib_cannot_know() -> None:
    assert {
        "Region",
        "Country Code",
        "Carrier",
        "Cost Value",
        "Sub Param 1",
        "IMEI",
        "Channel",
        "Partner",
    } <= set(EMPTY_COLUMNS)
    assert "Media Source" not in EMPTY_COLUMNS


def test_the_cli_exports_the_archived_demo(tmp_path: Path) -> None:
    run = demo_live("demo-export", 1_790_000_000_000)
    write_archive(tmp_path, "demo-export", run.archive)
    output = tmp_path / "installs.csv"
    result = CliRunner().invoke(
        export,
        [
            "installs",
            "--app",
            "demo-export",
            "--from",
            "2026-08-01",
            "--to",
            "2026-09-21",
            "--source",
            "archive",
            "--output",
            str(output),
        ],
        env={"ATTRIB_ARCHIVE_URL": str(tmp_path)},
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(output.open()))
    live = [a for a in run.driver.read("attributions") if a["status"] != "blocked"]
    assert len(rows) == len(live) > 0
    assert {r["Media Source"] for r in rows} == {a["media_source"] for a in live}
    assert f"{len(rows):,} installs" in result.stderr
