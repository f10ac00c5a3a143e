"""``attrib replay``'s re-decision rate vs the pure rules' own rate, in one run.

The same inputs twice: installs with 10 candidate touches each (bench/engine.py's
records: three share the install's advertising id, one its IP), decided

- by :func:`attrib.replay.redecide.redecide`: Avro decoding, event-time
  ordering and the worker's processors on in-memory tables (what ``attrib
  replay`` does once the archive is read), and
- by :func:`attrib.rules.decide.decide` called directly on each install and
  its 10 touches, already converted to the rules' model (the ceiling), and
- by the same ``decide`` on the same install and touches decoded from their
  Avro bytes and converted first (what any re-decision from the archive
  must at least do: the fairer floor of the comparison).

Goal: replay >= 50% of the rules' rate. Decoding the archived values alone
(each once) is timed too: it bounds any replay of the archive, and the
script prints that bound as a share of the rules' rate. Prints numbers, asserts nothing:
``.venv/bin/python bench/replay.py [--installs 2000]``.
"""

from __future__ import annotations

import argparse
import time

from engine import APP, make_records  # bench/engine.py's records (same folder)

from attrib.avro import codec
from attrib.config import validate_app_config
from attrib.engine.convert import install_from_record, rule_settings, touch_from_record
from attrib.replay.records import ArchivedRecord
from attrib.replay.redecide import redecide
from attrib.rules.decide import decide

T0 = 1_790_000_000_000


def archived(touches: list[dict], installs: list[dict]) -> list[ArchivedRecord]:
    out = []
    for topic, schema, records in (("clicks", "Touch", touches), ("installs", "Install", installs)):
        for offset, record in enumerate(records):
            out.append(ArchivedRecord(topic, 0, offset, T0, None, codec.encode(schema, record)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--installs", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    config = validate_app_config(
        APP, {"platform": "android", "store_url": "https://play.google.com/store/apps/details?id=x"}
    )
    touches, installs = make_records(args.installs, 10, T0)
    records = archived(touches, installs)
    settings = rule_settings(config)
    cases = [
        (install_from_record(i), [touch_from_record(t) for t in touches[n * 10 : n * 10 + 10]])
        for n, i in enumerate(installs)
    ]

    encoded = [
        (
            codec.encode("Install", i),
            [codec.encode("Touch", t) for t in touches[n * 10 : n * 10 + 10]],
        )
        for n, i in enumerate(installs)
    ]

    replay_best = rules_best = decoded_best = decode_only_best = 0.0
    for _ in range(args.rounds):
        start = time.perf_counter()
        result = redecide(records, config)
        elapsed = time.perf_counter() - start
        assert len(result.attributions) == len(installs)
        replay_best = max(replay_best, len(installs) / elapsed)
        start = time.perf_counter()
        for install, candidates in cases:
            decide(install, candidates, settings, None)
        rules_best = max(rules_best, len(cases) / (time.perf_counter() - start))
        start = time.perf_counter()
        for install_value, touch_values in encoded:
            decide(
                install_from_record(codec.decode(install_value)),
                [touch_from_record(codec.decode(v)) for v in touch_values],
                settings,
                None,
            )
        decoded_best = max(decoded_best, len(encoded) / (time.perf_counter() - start))
        start = time.perf_counter()
        for record in records:  # each archived value decoded once: the least replay must do
            codec.decode(record.value)
        decode_only_best = max(decode_only_best, len(installs) / (time.perf_counter() - start))
    print(f"installs: {len(installs):,}, records: {len(records):,} (10 touches per install)")
    print(f"replay (redecide) : {replay_best:10,.0f} decisions/s")
    print(f"pure rules decide : {rules_best:10,.0f} decisions/s")
    print(f"rules from Avro   : {decoded_best:10,.0f} decisions/s (decode + convert + decide)")
    print(f"ratio to rules    : {replay_best / rules_best:10.1%}  (goal >= 50%)")
    print(f"ratio to rules from Avro: {replay_best / decoded_best:4.1%}")
    bound = 1 / (1 / decode_only_best + 1 / rules_best)
    print(
        f"decoding alone     : {decode_only_best:10,.0f} installs/s (11 values each): any replay of"
        f" the archived bytes is bound to {bound:,.0f} decisions/s = {bound / rules_best:.1%} of"
        " the pure rules"
    )
    print(f"replay / that bound : {replay_best / bound:9.1%}")


if __name__ == "__main__":
    main()
