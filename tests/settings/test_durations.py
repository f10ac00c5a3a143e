import pytest

from attrib.durations import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("30s", 30_000),
        ("12h", 43_200_000),
        ("7d", 604_800_000),
        ("0h", 0),
        ("250ms", 250),
        ("5m", 300_000),
        (" 1d ", 86_400_000),
    ],
)
def test_parse(text: str, ms: int) -> None:
    assert parse_duration(text) == ms


@pytest.mark.parametrize("text", ["", "7", "d", "-1d", "1.5h", "7 days", "1w", "1D", None, 7])
def test_parse_rejects(text: object) -> None:
    with pytest.raises(DurationError):
        parse_duration(text)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ms", "text"),
    [(604_800_000, "7d"), (3_600_000, "1h"), (90_000, "90s"), (0, "0d"), (1_500, "1500ms")],
)
def test_format(ms: int, text: str) -> None:
    assert format_duration(ms) == text
    assert parse_duration(format_duration(ms)) == ms
