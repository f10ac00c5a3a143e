import os
import stat

import pytest

from attrib.settings import Secret, SettingsError, load_settings


def test_defaults_serve_the_local_stack() -> None:
    s = load_settings(env={})
    assert s.kafka_bootstrap == "127.0.0.1:9092"
    assert s.clickhouse_url == "http://127.0.0.1:8123"
    assert s.clickhouse_database == "attrib"
    assert (s.collector_port, s.worker_port) == (8080, 6066)
    assert s.topic("clicks") == "attrib.clicks"
    assert s.decision_delay_ms == 1_000


def test_environment_overrides_file(tmp_path) -> None:
    f = tmp_path / "attrib.toml"
    f.write_text('topic_prefix = "file."\ntopic_partitions = 12\nlog_level = "info"\n')
    s = load_settings(env={"ATTRIB_SETTINGS_FILE": str(f), "ATTRIB_TOPIC_PREFIX": "env."})
    assert s.topic_prefix == "env."
    assert s.topic_partitions == 12
    assert s.log_level == "info"


def test_secrets_do_not_leak_in_repr() -> None:
    s = load_settings(env={"ATTRIB_CLICKHOUSE_PASSWORD": "hunter2", "ATTRIB_ADMIN_TOKEN": "tok"})
    assert "hunter2" not in repr(s)
    assert "tok'" not in repr(s)
    assert isinstance(s.clickhouse_password, Secret)
    assert s.clickhouse_password.reveal() == "hunter2"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ATTRIB_DECISION_DELAY": "61s"}, "ATTRIB_DECISION_DELAY"),
        ({"ATTRIB_DECISION_DELAY": "soon"}, "ATTRIB_DECISION_DELAY"),
        ({"ATTRIB_TRUSTED_PROXY_CIDRS": "10.0.0.0/33"}, "ATTRIB_TRUSTED_PROXY_CIDRS"),
        ({"ATTRIB_TOPIC_PARTITIONS": "many"}, "ATTRIB_TOPIC_PARTITIONS"),
        ({"ATTRIB_TOPIC_PARTITIONS": "0"}, "ATTRIB_TOPIC_PARTITIONS"),
        ({"ATTRIB_TOUCH_INDEX_ENVELOPE": "avro"}, "ATTRIB_TOUCH_INDEX_ENVELOPE"),
    ],
)
def test_bad_settings_are_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(env=env)


def test_unknown_setting_in_file_is_refused(tmp_path) -> None:
    f = tmp_path / "attrib.toml"
    f.write_text('kafka_bootstarp = "x:1"\n')
    with pytest.raises(SettingsError, match="kafka_bootstarp"):
        load_settings(env={"ATTRIB_SETTINGS_FILE": str(f)})


def test_admin_token_generated_once_with_mode_0600(tmp_path) -> None:
    s = load_settings(env={"ATTRIB_DATA_DIR": str(tmp_path)})
    first = s.with_admin_token().admin_token.reveal()
    second = s.with_admin_token().admin_token.reveal()
    assert first
    assert first == second
    mode = stat.S_IMODE(os.stat(tmp_path / "admin-token").st_mode)
    assert mode == 0o600


def test_admin_token_from_environment_wins(tmp_path) -> None:
    s = load_settings(env={"ATTRIB_DATA_DIR": str(tmp_path), "ATTRIB_ADMIN_TOKEN": "given"})
    assert s.with_admin_token().admin_token.reveal() == "given"
    assert not (tmp_path / "admin-token").exists()


def test_trusted_cidrs_parse() -> None:
    s = load_settings(env={"ATTRIB_TRUSTED_PROXY_CIDRS": "10.0.0.0/8, 192.168.1.1"})
    assert [str(n) for n in s.trusted_proxies] == ["10.0.0.0/8", "192.168.1.1/32"]
    assert [str(n) for n in s.trusted_s2s] == ["127.0.0.0/8", "::1/128"]


def test_booleans_parse_and_refuse_nonsense() -> None:
    assert load_settings(env={"ATTRIB_WORKER_SINK": "false"}).worker_sink is False
    assert load_settings(env={"ATTRIB_WORKER_SINK": "1"}).worker_sink is True
    assert load_settings(env={}).worker_sink is True
    with pytest.raises(SettingsError, match="ATTRIB_WORKER_SINK"):
        load_settings(env={"ATTRIB_WORKER_SINK": "maybe"})


def test_collector_linger_is_a_bounded_number_of_milliseconds() -> None:
    assert load_settings(env={}).collector_linger_ms == 1.0
    assert load_settings(env={"ATTRIB_COLLECTOR_LINGER_MS": "0.25"}).collector_linger_ms == 0.25
    assert load_settings(env={"ATTRIB_COLLECTOR_LINGER_MS": "0"}).collector_linger_ms == 0.0
    for bad in ("soon", "-1", "1001", "nan", "inf"):
        with pytest.raises(SettingsError, match="ATTRIB_COLLECTOR_LINGER_MS"):
            load_settings(env={"ATTRIB_COLLECTOR_LINGER_MS": bad})


def test_broker_grace_and_worker_id() -> None:
    s = load_settings(env={"ATTRIB_BROKER_UNREACHABLE_GRACE": "2m", "ATTRIB_WORKER_ID": "w-3"})
    assert s.broker_unreachable_grace_s == 120.0
    assert s.worker_id == "w-3"
    assert load_settings(env={}).broker_unreachable_grace_s == 15.0
    assert load_settings(env={}).worker_id == ""  # dynamic membership unless set


@pytest.mark.parametrize("value", ["11m", "soon", "-1s"])
def test_broker_grace_out_of_range_is_named(value: str) -> None:
    with pytest.raises(SettingsError, match="ATTRIB_BROKER_UNREACHABLE_GRACE"):
        load_settings(env={"ATTRIB_BROKER_UNREACHABLE_GRACE": value})


def test_collector_front_door_limits_have_safe_defaults_and_bounds() -> None:
    settings = load_settings(env={})
    assert settings.collector_max_connections == 4096
    assert settings.collector_header_limit == 8192
    assert settings.collector_read_timeout_s == 10.0
    assert settings.collector_keepalive_timeout_s == 75.0
    tuned = load_settings(
        env={
            "ATTRIB_COLLECTOR_MAX_CONNECTIONS": "10",
            "ATTRIB_COLLECTOR_HEADER_LIMIT": "2048",
            "ATTRIB_COLLECTOR_READ_TIMEOUT": "500ms",
            "ATTRIB_COLLECTOR_KEEPALIVE_TIMEOUT": "5s",
        }
    )
    assert (tuned.collector_max_connections, tuned.collector_header_limit) == (10, 2048)
    assert (tuned.collector_read_timeout_s, tuned.collector_keepalive_timeout_s) == (0.5, 5.0)
    for name, bad in (
        ("COLLECTOR_MAX_CONNECTIONS", "0"),
        ("COLLECTOR_HEADER_LIMIT", "100"),
        ("COLLECTOR_HEADER_LIMIT", "1000000"),
        ("COLLECTOR_READ_TIMEOUT", "0s"),
        ("COLLECTOR_READ_TIMEOUT", "1h"),
        ("COLLECTOR_READ_TIMEOUT", "soon"),
        ("COLLECTOR_KEEPALIVE_TIMEOUT", "2h"),
    ):
        with pytest.raises(SettingsError, match=f"ATTRIB_{name}"):
            load_settings(env={f"ATTRIB_{name}": bad})
