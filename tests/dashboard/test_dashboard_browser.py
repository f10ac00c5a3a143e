"""The dashboard in headless Chromium: sign in, pick the demo app, check figures and charts.

Screenshots go to ``$ATTRIB_DATA_DIR/screenshots/`` (``.attrib/screenshots``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from browser import full_page_screenshot, new_driver, require_browser, screenshot_dir
from dashboard_helpers import DEMO_APP, TOKEN, DemoDatabase
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from attrib.dashboard import charts

pytestmark = pytest.mark.integration

# Pixels of a canvas that are not transparent: > 0 once Chart.js drew on it.
PAINTED_PIXELS = """
const c = arguments[0];
const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
let n = 0;
for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++;
return n;
"""


def sign_in_and_look(base: str, shots: Path) -> dict:
    driver = new_driver()
    seen: dict = {}
    try:
        wait = WebDriverWait(driver, 20)
        driver.get(f"{base}/dashboard")
        driver.find_element(By.ID, "token").send_keys("wrong-token")
        driver.find_element(By.ID, "sign-in").click()
        seen["wrong"] = wait.until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".error"))
        ).text
        assert "token" not in driver.current_url
        driver.find_element(By.ID, "token").send_keys(TOKEN)
        driver.find_element(By.ID, "sign-in").click()
        wait.until(expected_conditions.presence_of_element_located((By.ID, "app")))
        seen["url_after_sign_in"] = driver.current_url
        seen["cookie_visible_to_script"] = driver.execute_script("return document.cookie")
        Select(driver.find_element(By.ID, "app")).select_by_value(DEMO_APP)
        driver.find_element(By.ID, "show").click()
        wait.until(expected_conditions.presence_of_element_located((By.ID, "table-overview")))
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "canvas[data-rendered='true']"))
        seen["figures"] = {
            e.get_attribute("data-figure"): e.text
            for e in driver.find_elements(By.CSS_SELECTOR, "[data-figure]")
        }
        seen["canvases"] = {
            c.get_attribute("data-chart"): driver.execute_script(PAINTED_PIXELS, c)
            for c in driver.find_elements(By.CSS_SELECTOR, "canvas[data-chart]")
        }
        seen["heatmap_cells"] = len(driver.find_elements(By.CSS_SELECTOR, "#chart-retention rect"))
        seen["postbacks_empty"] = driver.find_element(By.ID, "empty-postbacks").text
        sql = driver.find_element(By.ID, "sql-ctit")
        seen["sql_hidden"] = sql.is_displayed()
        driver.find_element(By.CSS_SELECTOR, "#ctit details.sql summary").click()
        seen["sql_shown"] = sql.is_displayed()
        seen["sql_text"] = sql.text
        seen["csv_links"] = len(driver.find_elements(By.CSS_SELECTOR, "a.csv"))
        seen["console_errors"] = [  # the wrong token's 401 was the point
            entry
            for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE" and "/dashboard/login" not in entry["message"]
        ]
        full_page_screenshot(driver, shots / "dashboard.png")
        driver.find_element(By.CSS_SELECTOR, "#overview th a").click()  # sort by a column
        wait.until(lambda d: "sort=" in d.current_url)
        seen["sorted_url"] = driver.current_url
    finally:
        driver.quit()
    return seen


def tables_without_javascript(base: str, shots: Path) -> dict:
    driver = new_driver(javascript=False)
    try:
        driver.get(f"{base}/dashboard")
        driver.find_element(By.ID, "token").send_keys(TOKEN)
        driver.find_element(By.ID, "sign-in").click()
        # The form's POST sets the session cookie: wait for the signed-in page first
        # (going on at once raced it and found the sign-in form again).
        wait = WebDriverWait(driver, 30)
        wait.until(lambda d: not d.find_elements(By.ID, "token"))
        driver.get(f"{base}/dashboard?app={DEMO_APP}")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#table-overview tbody tr"))
        rows = len(driver.find_elements(By.CSS_SELECTOR, "#table-overview tbody tr"))
        rendered = driver.find_elements(By.CSS_SELECTOR, "canvas[data-rendered='true']")
        notes = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".chart noscript, .chart p")]
        full_page_screenshot(driver, shots / "dashboard-no-javascript.png")
        return {"overview_rows": rows, "charts_drawn": len(rendered), "notes": notes}
    finally:
        driver.quit()


async def test_dashboard_in_headless_chromium(
    dashboard_client: TestClient, demo_db: DemoDatabase
) -> None:
    require_browser()
    base = str(dashboard_client.make_url("")).rstrip("/")
    expected = demo_db.scenario.expected
    shots = screenshot_dir()
    seen = await asyncio.to_thread(sign_in_and_look, base, shots)

    assert seen["wrong"] == "The admin token is wrong."
    assert seen["url_after_sign_in"].endswith("/dashboard")
    assert seen["cookie_visible_to_script"] == ""  # HttpOnly
    totals = charts.overview_totals(expected["overview"])
    assert seen["figures"]["installs"] == str(totals["all_installs"])
    assert seen["figures"]["attributed"] == str(totals["installs"])
    assert seen["figures"]["clicks"] == str(totals["clicks"])
    assert seen["figures"]["revenue-USD"] == f"{totals['revenue']['USD']:.2f}"
    assert set(seen["canvases"]) == {"daily", "ctit", "fraud"}
    assert all(painted > 1000 for painted in seen["canvases"].values()), seen["canvases"]
    assert seen["heatmap_cells"] == 5 * len({r["install_day"] for r in expected["retention"]})
    assert seen["postbacks_empty"] == "No postback deliveries in this range."
    assert not seen["sql_hidden"]
    assert seen["sql_shown"]
    assert "FROM ctit_summary" in seen["sql_text"]
    assert seen["csv_links"] == 7
    assert seen["console_errors"] == [], seen["console_errors"]
    assert "sort=app_id" in seen["sorted_url"]
    assert (shots / "dashboard.png").stat().st_size > 20_000

    plain = await asyncio.to_thread(tables_without_javascript, base, shots)
    assert plain["overview_rows"] == len(expected["overview"])
    assert plain["charts_drawn"] == 0
    assert any("needs JavaScript" in note for note in plain["notes"]), plain["notes"]
