"""What the dashboard tests share: the demo app's id, the admin token, the seeded database."""

from __future__ import annotations

import dataclasses

from attrib.demo.scenario import Scenario
from attrib.settings import Settings

DEMO_APP = "com.attrib.demo"
TOKEN = "test-admin-token"


@dataclasses.dataclass
class DemoDatabase:
    settings: Settings
    scenario: Scenario
