"""Python source generated once per schema: the codec's writers and readers.

One :class:`Source` holds the lines of one function and the constants it
refers to; :meth:`Source.build` compiles it. ``avro/codec.py`` (writers) and
``avro/compiled_reader.py`` (readers) emit their lines through it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


class Source:
    """Python source of one generated function, and the constants it refers to."""

    def __init__(self, constants: Mapping[str, Any] | None = None) -> None:
        self.lines: list[str] = []
        self.constants: dict[str, Any] = dict(constants or {})
        self._names = 0

    def constant(self, value: Any) -> str:
        """The name of a constant equal to ``value`` (of the same type), added if new."""
        for name, known in self.constants.items():
            if type(known) is type(value) and known == value:
                return name
        self._names += 1
        name = f"_c{self._names}"
        self.constants[name] = value
        return name

    def temp(self) -> str:
        """A new local variable name."""
        self._names += 1
        return f"_t{self._names}"

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def build(self, function: str, filename: str) -> Callable[..., Any]:
        """The function ``function`` defined by the lines (tracebacks name ``filename``)."""
        namespace = dict(self.constants)
        exec(compile("\n".join(self.lines), filename, "exec"), namespace)
        return namespace[function]  # type: ignore[no-any-return]


def null_union(branches: list[Any]) -> tuple[int, Any] | None:
    """``(index of null, the other branch)`` of a union of null and one other type, the
    only unions generated code covers; None for any other union."""
    if len(branches) != 2 or "null" not in branches:
        return None
    null_index = branches.index("null")
    other = branches[1 - null_index]
    if other == "null" or isinstance(other, list):
        return None
    return null_index, other
