"""Mutations of valid encodings: bit flips, truncation, extension, byte edits and splices.

Random bytes rarely get past a decoder's first check (a marker, a
fingerprint, a JSON brace); mutating a valid value exercises the code behind
it.
"""

from __future__ import annotations

from hypothesis import strategies as st


@st.composite
def _mutate_once(draw: st.DrawFn, data: bytes) -> bytes:
    size = len(data)
    kind = draw(st.sampled_from(["flip", "truncate", "extend", "set", "insert", "delete", "dup"]))
    if kind == "truncate" or size == 0:
        return data[: draw(st.integers(0, size))]
    if kind == "extend":
        return data + draw(st.binary(min_size=1, max_size=32))
    pos = draw(st.integers(0, size - 1))
    if kind == "flip":
        bit = 1 << draw(st.integers(0, 7))
        return data[:pos] + bytes([data[pos] ^ bit]) + data[pos + 1 :]
    if kind == "set":
        byte = draw(st.sampled_from([0x00, 0x01, 0x02, 0x03, 0x7F, 0x80, 0xFE, 0xFF]))
        return data[:pos] + bytes([byte]) + data[pos + 1 :]
    if kind == "insert":
        return data[:pos] + draw(st.binary(min_size=1, max_size=8)) + data[pos:]
    if kind == "delete":
        end = draw(st.integers(pos + 1, min(size, pos + 8)))
        return data[:pos] + data[end:]
    end = draw(st.integers(pos + 1, min(size, pos + 16)))  # duplicate a slice
    return data[:end] + data[pos:end] + data[end:]


@st.composite
def mutated(draw: st.DrawFn, data: bytes, max_mutations: int = 4) -> bytes:
    """``data`` after 1 to ``max_mutations`` random mutations."""
    for _ in range(draw(st.integers(1, max_mutations))):
        data = draw(_mutate_once(data))
    return data


def mutated_text(valid: str, max_mutations: int = 4) -> st.SearchStrategy[str]:
    """A text mutated at the byte level of its UTF-8 form, decoded leniently."""
    return mutated(valid.encode(), max_mutations).map(
        lambda b: b.decode("utf-8", "surrogateescape")
    )
