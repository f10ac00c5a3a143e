"""Offset continuity of an agent's input: did every offset of a partition reach it?

A diagnostic, not a guard. The chaos suite found installs whose
``device-inputs`` envelopes were consumed and their offsets committed
without the agent ever parking them (docs/reliability.md, finding 5). The
agent notes each envelope's offset here; a forward jump within one
assignment of the partition is logged and counted, so a run shows whether
the consumer skipped records before they reached the agent. A jump back
(a replay after a rebalance or restart) just restarts the count.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class OffsetContinuity:
    #: The next offset expected per partition (None: nothing seen since the last reset).
    expected: dict[int, int] = field(default_factory=dict)

    def reset(self) -> None:
        """Forget every partition (after a rebalance: a new owner may start anywhere)."""
        self.expected.clear()

    def observe(self, partition: int, offset: int) -> tuple[int, int] | None:
        """Note ``offset``; returns the skipped range ``(first, last)`` if offsets
        were skipped since the previous one of this partition."""
        expected = self.expected.get(partition)
        self.expected[partition] = offset + 1
        if expected is not None and offset > expected:
            return expected, offset - 1
        return None
