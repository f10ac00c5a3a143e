"""Headless Chromium through chromedriver (Debian's ``chromium`` and ``chromium-driver``).

Where the browser is missing the browser tests skip on a dev machine;
``REQUIRE_CHROMIUM=1`` (CI, set by .ci/run, which installs it) makes that fail.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"


def require_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    if not missing:
        return
    message = (
        f"{', '.join(missing)} not installed: "
        "`apt-get install -y chromium chromium-driver` (.ci/run does)"
    )
    if os.environ.get("REQUIRE_CHROMIUM") == "1":
        pytest.fail(message)
    pytest.skip(message)


def new_driver(*, javascript: bool = True) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(arg)
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


def screenshot_dir() -> Path:
    """``<data dir>/screenshots`` (``ATTRIB_DATA_DIR``, default ``.attrib``)."""
    path = Path(os.environ.get("ATTRIB_DATA_DIR", ".attrib")) / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def full_page_screenshot(driver: webdriver.Chrome, path: Path) -> None:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(int(height) + 40, 8000))
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(path))
