"""The dashboard's routes on a database holding the demo: figures, CSV, sign-in, bad input."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from aiohttp.test_utils import TestClient, TestServer
from dashboard_helpers import DEMO_APP, TOKEN, DemoDatabase

from attrib.analytics import clickhouse
from attrib.analytics.report import report_sql
from attrib.analytics.summaries import refresh
from attrib.dashboard import charts
from attrib.dashboard.data import DashboardData
from attrib.dashboard.session import COOKIE
from attrib.registry import AppConfigCache, AppRegistryWriter
from attrib.settings import Settings
from attrib.web.app import create_app

pytestmark = pytest.mark.integration


async def sign_in(client: TestClient) -> None:
    response = await client.post("/dashboard/login", data={"token": TOKEN}, allow_redirects=False)
    assert response.status == 303


def demo_range(demo: DemoDatabase) -> dict[str, str]:
    today = demo.scenario.today
    return {"app": DEMO_APP, "from": str(today - timedelta(days=29)), "to": str(today)}


async def table(client: TestClient, name: str, params: dict[str, str]) -> dict:
    response = await client.get(f"/dashboard/data/{name}.json", params=params)
    assert response.status == 200, await response.text()
    return await response.json()


def as_dicts(body: dict) -> list[dict]:
    return [dict(zip(body["columns"], row, strict=True)) for row in body["rows"]]


async def test_sign_in_sets_a_strict_http_only_cookie_and_never_puts_the_token_in_a_url(
    dashboard_client: TestClient,
) -> None:
    response = await dashboard_client.post(
        "/dashboard/login", data={"token": TOKEN}, allow_redirects=False
    )
    assert response.status == 303
    assert response.headers["Location"] == "/dashboard"
    header = response.headers["Set-Cookie"]
    assert header.startswith(f"{COOKIE}=")
    assert "HttpOnly" in header
    assert "SameSite=Strict" in header
    assert "Path=/dashboard" in header
    assert TOKEN not in header
    page = await dashboard_client.get("/dashboard")
    assert "Pick an app" in await page.text()
    assert DEMO_APP in await page.text()


async def test_wrong_token_is_refused_with_a_message(dashboard_client: TestClient) -> None:
    response = await dashboard_client.post(
        "/dashboard/login", data={"token": "not-the-token"}, allow_redirects=False
    )
    assert response.status == 401
    assert "The admin token is wrong." in await response.text()
    assert "Set-Cookie" not in response.headers
    page = await dashboard_client.get("/dashboard", params={"app": DEMO_APP})
    assert 'name="token"' in await page.text()  # still the sign-in form
    data = await dashboard_client.get("/dashboard/data/overview.json", params={"app": DEMO_APP})
    assert data.status == 401
    assert (await data.json())["error"] == "unauthorized"


async def test_a_forged_cookie_is_not_a_session(dashboard_client: TestClient) -> None:
    dashboard_client.session.cookie_jar.update_cookies({COOKIE: "99999999999.deadbeef"})
    response = await dashboard_client.get("/dashboard/data/overview.json", params={"app": DEMO_APP})
    assert response.status == 401


async def test_data_endpoints_give_the_demo_figures(
    dashboard_client: TestClient, demo_db: DemoDatabase
) -> None:
    await sign_in(dashboard_client)
    params = demo_range(demo_db)
    expected = demo_db.scenario.expected
    overview = as_dicts(await table(dashboard_client, "overview", params))
    for row in overview:
        row.pop("revenue_per_install")
        row["revenue"] = {k: Decimal(v) for k, v in row["revenue"].items()}
    assert overview == expected["overview"]
    retention = as_dicts(await table(dashboard_client, "retention", params))
    assert [
        (r["install_day"], r["media_source"], r["installs"], r["day_1"]) for r in retention
    ] == [
        (str(r["install_day"]), r["media_source"], r["installs"], r["day_1"])
        for r in expected["retention"]
    ]
    assert as_dicts(await table(dashboard_client, "ctit", params)) == expected["ctit"]
    assert as_dicts(await table(dashboard_client, "fraud", params)) == expected["fraud"]
    postbacks = await table(dashboard_client, "postback_outcomes", params)
    assert postbacks["rows"] == []
    assert postbacks["sql"].startswith("-- postback_outcomes")
    body = await table(dashboard_client, "overview", params)
    assert body["sql"] == report_sql("overview")  # the same SQL as `attrib report`


async def test_csv_download_of_a_table(dashboard_client: TestClient, demo_db: DemoDatabase) -> None:
    await sign_in(dashboard_client)
    response = await dashboard_client.get("/dashboard/csv/fraud.csv", params=demo_range(demo_db))
    assert response.status == 200
    assert response.content_type == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert [(r["kind"], r["reason"], r["media_source"], int(r["count"])) for r in rows] == [
        (r["kind"], r["reason"], r["media_source"], r["count"])
        for r in demo_db.scenario.expected["fraud"]
    ]
    overview = await dashboard_client.get("/dashboard/csv/overview.csv", params=demo_range(demo_db))
    text = await overview.text()
    assert text.splitlines()[0].startswith("app_id,media_source,campaign,impressions,clicks")
    assert "USD=" in text


async def test_the_page_shows_the_overview_figures_charts_sql_and_an_empty_postbacks_state(
    dashboard_client: TestClient, demo_db: DemoDatabase
) -> None:
    await sign_in(dashboard_client)
    response = await dashboard_client.get("/dashboard", params=demo_range(demo_db))
    assert response.status == 200
    html = await response.text()
    totals = charts.overview_totals(demo_db.scenario.expected["overview"])
    assert f'data-figure="installs">{totals["all_installs"]}<' in html
    assert f'data-figure="clicks">{totals["clicks"]}<' in html
    for name in ("daily", "ctit", "fraud"):
        assert f'id="chart-{name}"' in html
    assert 'id="chart-retention"' in html  # the server-drawn SVG heatmap
    assert 'id="empty-postbacks"' in html
    assert "FROM ctit_summary" in html  # the SQL, one click away
    assert '<meta http-equiv="refresh" content="30">' in html  # the range includes today
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    data = json.loads(html.split('id="dashboard-data">')[1].split("</script>")[0])
    assert sum(sum(d["data"]) for d in data["daily"]["datasets"]) == sum(
        charts.installs_of(r) for r in demo_db.scenario.expected["overview"]
    )


async def test_a_past_range_does_not_refresh_and_sorts_by_column(
    dashboard_client: TestClient, demo_db: DemoDatabase
) -> None:
    await sign_in(dashboard_client)
    params = demo_range(demo_db) | {"to": str(demo_db.scenario.today - timedelta(days=1))}
    response = await dashboard_client.get(
        "/dashboard", params=params | {"sort": "clicks", "dir": "desc"}
    )
    html = await response.text()
    assert 'http-equiv="refresh"' not in html
    overview = html.split('id="table-overview"')[1].split("</table>")[0]
    sources = [cell.split("<")[0] for cell in overview.split("<tr><td>")[1:]]
    clicks = {r["media_source"]: r["clicks"] for r in demo_db.scenario.expected["overview"]}
    # the first row is the source with the most clicks
    assert sources
    assert sources[0] == DEMO_APP
    first_source = overview.split("<tr><td>")[1].split("</td><td>")[1]
    assert clicks[first_source] == max(clicks.values())


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"app": "com.nobody"}, 404, "There is no app named &#x27;com.nobody&#x27;."),
        ({"app": DEMO_APP, "from": "2026-03-10", "to": "2026-03-01"}, 400, "the range is empty"),
        ({"app": DEMO_APP, "from": "2016-01-01", "to": "2025-12-31"}, 400, "at most 366"),
        ({"app": DEMO_APP, "from": "yesterday"}, 400, "from must be a date"),
        ({"app": DEMO_APP, "dir": "sideways"}, 400, "dir must be asc or desc"),
    ],
)
async def test_bad_input_gets_a_clear_message_never_a_500(
    dashboard_client: TestClient, params: dict[str, str], status: int, message: str
) -> None:
    await sign_in(dashboard_client)
    page = await dashboard_client.get("/dashboard", params=params)
    assert page.status == status
    assert message in await page.text()
    data = await dashboard_client.get("/dashboard/data/overview.json", params=params)
    assert data.status == status
    assert (await data.json())["detail"]


async def test_unknown_table_and_static_file_are_404(dashboard_client: TestClient) -> None:
    await sign_in(dashboard_client)
    response = await dashboard_client.get("/dashboard/data/users.json", params={"app": DEMO_APP})
    assert response.status == 404
    assert "no table named 'users'" in (await response.json())["detail"]
    static = await dashboard_client.get("/dashboard/static/..%2Fsettings.py")
    assert static.status == 404
    chart = await dashboard_client.get("/dashboard/static/chart-4.4.7.umd.js")
    assert chart.status == 200
    assert "Chart.js v4.4.7" in (await chart.text())[:400]


async def test_postback_outcomes_are_drawn_once_deliveries_exist(
    dashboard_client: TestClient, demo_db: DemoDatabase
) -> None:
    today = demo_db.scenario.today
    at = datetime(today.year, today.month, today.day, tzinfo=UTC) - timedelta(days=2)
    rows = [  # d1 delivered on its second attempt, d2 dead after one, d3 still retrying
        ["d1", 1, DEMO_APP, "install", "h.example", "retry", 500, 40, at],
        ["d1", 2, DEMO_APP, "install", "h.example", "delivered", 200, 30, at + timedelta(hours=1)],
        ["d2", 1, DEMO_APP, "install", "h.example", "dead", 410, 20, at],
        ["d3", 1, DEMO_APP, "event", "h.example", "retry", None, None, at],
    ]
    client = clickhouse.connect(demo_db.settings)
    try:
        client.insert(
            "postback_deliveries",
            rows,
            column_names=["delivery_id", "attempt", "app_id", "kind", "host", "status",
                          "http_status", "latency_ms", "attempted_at"],
        )  # fmt: skip
    finally:
        client.close()
    await sign_in(dashboard_client)
    params = demo_range(demo_db)
    outcomes = as_dicts(await table(dashboard_client, "postback_outcomes", params))
    day = str(at.date())
    assert outcomes == [
        {"day": day, "outcome": "dead", "deliveries": 1},
        {"day": day, "outcome": "delivered", "deliveries": 1},
        {"day": day, "outcome": "retry", "deliveries": 1},
    ]
    html = await (await dashboard_client.get("/dashboard", params=params)).text()
    assert 'id="chart-postback_outcomes"' in html
    assert 'id="empty-postbacks"' not in html


def test_results_are_cached_for_the_refresh_period(demo_db: DemoDatabase) -> None:
    params = {"app": DEMO_APP, "date_from": date(2020, 1, 1), "date_to": date(2030, 1, 1)}
    cached, uncached = (
        DashboardData(demo_db.settings),
        DashboardData(demo_db.settings, cache_seconds=0),
    )
    try:
        assert cached.run("fraud", params) is cached.run("fraud", params)
        assert uncached.run("fraud", params) is not uncached.run("fraud", params)
        assert cached.run("fraud", params) == uncached.run("fraud", params)
    finally:
        cached.close()
        uncached.close()


def test_a_stale_result_is_shown_while_it_is_refreshed(demo_db: DemoDatabase) -> None:
    params = {"app": DEMO_APP, "date_from": date(2020, 1, 1), "date_to": date(2030, 1, 1)}
    data = DashboardData(demo_db.settings, cache_seconds=0.2)
    try:
        first = data.run("ctit", params)
        time.sleep(0.3)
        assert data.run("ctit", params) is first  # stale: answered at once, refreshed behind
        deadline = time.monotonic() + 10
        while data.run("ctit", params) is first:
            assert time.monotonic() < deadline, "never refreshed"
            time.sleep(0.02)
        assert data.run("ctit", params) == first  # the same figures, a newer run
    finally:
        data.close()


async def test_clickhouse_down_is_a_503_with_a_message_not_a_500(
    isolated_settings: Settings,
) -> None:
    settings = dataclasses.replace(isolated_settings, clickhouse_url="http://127.0.0.1:9")
    cache = AppConfigCache(settings)
    app = create_app(settings, cache=cache, writer=AppRegistryWriter(settings, cache))
    async with TestClient(TestServer(app)) as client:
        await sign_in(client)
        page = await client.get("/dashboard", params={"app": DEMO_APP})
        assert page.status == 503
        assert "ClickHouse did not answer" in await page.text()
        data = await client.get("/dashboard/data/overview.json", params={"app": DEMO_APP})
        assert data.status == 503
        assert (await data.json())["error"] == "unavailable"


def test_summaries_are_refreshed_by_a_request_only_when_nobody_did_lately(
    demo_db: DemoDatabase,
) -> None:
    """The sink refreshes the day summaries; a page refreshes them only past its max age."""
    params = {"app": DEMO_APP, "date_from": date(2020, 1, 1), "date_to": date(2030, 1, 1)}
    client = clickhouse.connect(demo_db.settings)
    lazy = DashboardData(demo_db.settings, cache_seconds=0, summaries_max_age=600)
    eager = DashboardData(demo_db.settings, cache_seconds=0, summaries_max_age=0)
    try:

        def installs(data: DashboardData) -> int:
            rows = data.run("overview", params).as_dicts()
            return sum(row["installs"] + row["organic_installs"] for row in rows)

        refresh(client)  # as the sink's tick would
        before = installs(lazy)
        client.command(
            "INSERT INTO attributions SELECT * REPLACE (attribution_id || '-new' AS attribution_id)"
            " FROM attributions FINAL WHERE app_id = {app:String} AND conversion_type = 'install'",
            parameters={"app": DEMO_APP},
        )
        assert installs(lazy) == before  # refreshed lately: the page does not wait for one
        assert installs(eager) == 2 * before  # its own refresh shows every stored row
        assert installs(lazy) == 2 * before  # and the summaries are shared
    finally:
        client.close()
        lazy.close()
        eager.close()
