import io
import json
import logging

from attrib.logs import configure_logging


def test_lines_are_json_with_fields_and_level_filter() -> None:
    out = io.StringIO()
    configure_logging("info", stream=out)
    log = logging.getLogger("attrib.test")
    log.debug("hidden")
    log.info("produced", extra={"fields": {"topic": "attrib.clicks", "n": 3}})
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 1
    assert lines[0]["msg"] == "produced"
    assert lines[0]["level"] == "info"
    assert lines[0]["topic"] == "attrib.clicks"
    assert lines[0]["n"] == 3
    assert lines[0]["ts"].endswith("Z")
    configure_logging("warning")


def test_quiet_by_default() -> None:
    out = io.StringIO()
    configure_logging(stream=out)
    logging.getLogger("attrib.test").info("not shown")
    assert out.getvalue() == ""
