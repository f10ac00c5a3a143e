"""``ATTRIB_WORKER_ID`` becomes the Faust consumer's ``group.instance.id`` (static membership)."""

from __future__ import annotations

from pathlib import Path

from attrib.faust_app import create_app
from attrib.settings import load_settings


def test_worker_id_is_the_group_instance_id(tmp_path: Path) -> None:
    settings = load_settings(
        env={"ATTRIB_WORKER_ID": "attrib-worker-2", "ATTRIB_DATA_DIR": str(tmp_path)}
    )
    assert create_app(settings).conf.consumer_group_instance_id == "attrib-worker-2"


def test_without_a_worker_id_membership_is_dynamic(tmp_path: Path) -> None:
    settings = load_settings(env={"ATTRIB_DATA_DIR": str(tmp_path)})
    assert create_app(settings).conf.consumer_group_instance_id is None
