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


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def repeat_logger(name: str) -> tuple[logging.Logger, io.StringIO, FakeClock]:
    from attrib.logs import JsonFormatter, RepeatFilter

    out = io.StringIO()
    clock = FakeClock()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RepeatFilter(window_s=10.0, clock=clock))
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, out, clock


def lines_of(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_repeats_within_the_window_are_held_back_and_counted() -> None:
    log, out, clock = repeat_logger("attrib.test.repeats")
    for attempt in range(50):  # a client failing to connect, with varying arguments
        log.error("Unable to connect to node %s: attempt %d", 1, attempt)
    assert [line["msg"] for line in lines_of(out)] == ["Unable to connect to node 1: attempt 0"]
    clock.now += 10.0
    log.error("Unable to connect to node %s: attempt %d", 1, 50)
    last = lines_of(out)[-1]
    assert last["msg"] == "Unable to connect to node 1: attempt 50"
    assert last["repeated"] == 49
    clock.now += 10.0
    log.error("Unable to connect to node %s: attempt %d", 1, 51)
    assert "repeated" not in lines_of(out)[-1]  # nothing was held back this time


def test_preformatted_lines_differing_in_numbers_are_one_kind() -> None:
    log, out, _ = repeat_logger("attrib.test.preformatted")
    log.error("Connect to 127.0.0.1:9092 failed (after 1001ms in state CONNECT)")
    log.error("Connect to 127.0.0.1:9092 failed (after 998ms in state CONNECT)")
    assert len(lines_of(out)) == 1


def test_other_kinds_are_not_held_back() -> None:
    log, out, _ = repeat_logger("attrib.test.kinds")
    log.error("broker %s down", 1)
    log.warning("broker %s down", 1)  # another level
    log.error("topic %s missing", "clicks")  # another template
    logging.getLogger("attrib.test.kinds.child").handlers[:] = log.handlers
    logging.getLogger("attrib.test.kinds.child").propagate = False
    logging.getLogger("attrib.test.kinds.child").error("broker %s down", 1)  # another logger
    assert len(lines_of(out)) == 4
