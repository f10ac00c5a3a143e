"""Just enough of a SQL lexer to route HTTP requests the way ClickHouse's parser does.

Before anything reaches chdb the endpoint must know where an
``INSERT ... FORMAT X`` statement ends and its inline data begins (the HTTP
body is the statement followed by raw, often binary, rows: chdb takes the two
separately), which output format a statement names (for the
``X-ClickHouse-Format`` header), which kind of statement it is (read-only
checks, whether it produces a result set) and whether a request smuggles in a
second statement. A full parser is not needed for any of that: tokens with
quoting, comments and bracket depth are.

The scanner works on ``str`` obtained by decoding bytes as latin-1, so that
character offsets are byte offsets into the request body; quotes, brackets and
keywords are ASCII, and UTF-8 identifiers survive as runs of word characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from attrib.chserver.errors import BAD_ARGUMENTS, ClickHouseError


class Incomplete(Exception):
    """The buffer ends inside a token: more input is needed to decide."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "word", "quoted" (identifier), "string", "number" or "punct"
    text: str
    start: int
    end: int
    depth: int  # bracket depth at the token (an opening bracket has the outer depth)

    def is_word(self, upper: str) -> bool:
        return self.kind == "word" and self.text.upper() == upper


@dataclass(frozen=True, slots=True)
class InsertHead:
    """``INSERT ... FORMAT name`` at the start of a request, and where its data starts."""

    statement: str  # the statement without the FORMAT clause, as chdb's send_insert wants it
    format: str
    data_start: int  # byte offset of the first data byte


_SPACE = " \t\n\r\f\v"
_WORD = re.compile(r"[A-Za-z_\x80-\xff][A-Za-z0-9_$\x80-\xff]*")
_NUMBER = re.compile(r"[0-9](?:[eEpP][+-]|[0-9A-Za-z_.])*")
_OPEN, _CLOSE = "([{", ")]}"
_QUOTE_KIND = {"'": "string", '"': "quoted", "`": "quoted"}

# Statements that answer with a result set (and so with an output format).
RESULT_KEYWORDS = frozenset(
    {"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN", "CHECK", "("}
)
# Statements that change connection state (settings, current database).
CONTROL_KEYWORDS = frozenset({"SET", "USE"})


def tokens(text: str, *, complete: bool = True) -> Iterator[Token]:
    """Yield the tokens of ``text``; raise Incomplete if it may continue past the end."""
    pos, n, depth = 0, len(text), 0
    while pos < n:
        ch = text[pos]
        if ch in _SPACE:
            pos += 1
            continue
        if text.startswith("--", pos) or (ch == "#" and text[pos + 1 : pos + 2] in (" ", "!")):
            newline = text.find("\n", pos)
            if newline < 0:
                if not complete:
                    raise Incomplete
                return
            pos = newline + 1
            continue
        if text.startswith("/*", pos):
            pos = _skip_block_comment(text, pos, complete)
            continue
        if ch in _QUOTE_KIND:
            end = _quoted_end(text, pos, complete)
            yield Token(_QUOTE_KIND[ch], text[pos:end], pos, end, depth)
            pos = end
            continue
        match = _WORD.match(text, pos) or _NUMBER.match(text, pos)
        if match is not None:
            end = match.end()
            if end == n and not complete:
                raise Incomplete
            kind = "number" if ch.isdigit() else "word"
            yield Token(kind, match.group(), pos, end, depth)
            pos = end
            continue
        if ch in _CLOSE:
            depth = max(depth - 1, 0)
        yield Token("punct", ch, pos, pos + 1, depth)
        if ch in _OPEN:
            depth += 1
        pos += 1
    if not complete:
        raise Incomplete  # asked for a token past the end of what has arrived


def _skip_block_comment(text: str, pos: int, complete: bool) -> int:
    level, pos = 1, pos + 2
    while level:
        opening, closing = text.find("/*", pos), text.find("*/", pos)
        if closing < 0:
            if not complete:
                raise Incomplete
            return len(text)
        if 0 <= opening < closing:
            level, pos = level + 1, opening + 2
        else:
            level, pos = level - 1, closing + 2
    return pos


def _quoted_end(text: str, pos: int, complete: bool) -> int:
    quote, pos, n = text[pos], pos + 1, len(text)
    while pos < n:
        ch = text[pos]
        if ch == "\\":
            pos += 2
        elif ch == quote:
            if text[pos + 1 : pos + 2] == quote:
                pos += 2
            elif pos + 1 == n and not complete:
                raise Incomplete  # a doubled quote may follow
            else:
                return pos + 1
        else:
            pos += 1
    if not complete:
        raise Incomplete
    return n


def first_keyword(sql: str) -> str | None:
    """The statement's leading keyword, upper-cased ("(" for a parenthesised query)."""
    for token in tokens(sql):
        return token.text.upper() if token.kind in ("word", "punct") else token.text
    return None


def has_several_statements(sql: str) -> bool:
    """True if anything but comments follows a top-level ``;``."""
    seen_semicolon = False
    for token in tokens(sql):
        if seen_semicolon:
            return True
        if token.kind == "punct" and token.text == ";" and token.depth == 0:
            seen_semicolon = True
    return False


def output_format(sql: str) -> str | None:
    """The name in the statement's trailing ``FORMAT name`` clause, if any."""
    found: str | None = None
    toks = list(tokens(sql))
    for i, token in enumerate(toks[:-1]):
        if token.depth or not token.is_word("FORMAT"):
            continue
        name = toks[i + 1]
        after = toks[i + 2] if i + 2 < len(toks) else None
        if name.kind not in ("word", "quoted"):
            continue
        if after is None or after.text == ";" or after.is_word("SETTINGS"):
            found = _unquote(name)
    return found


def split_insert(buffer: bytes, *, complete: bool) -> InsertHead | None:
    """Find ``INSERT INTO ... FORMAT name`` at the start of ``buffer``.

    Returns None when the request is anything else (including ``INSERT ...
    VALUES`` and ``INSERT ... SELECT``, which run as plain SQL text). Raises
    Incomplete when ``buffer`` ends before that can be decided, and
    ``ClickHouseError`` (400) when the statement before ``FORMAT`` is not UTF-8.
    """
    text = buffer.decode("latin-1")
    stream = tokens(text, complete=complete)
    if not _next_is(stream, "INSERT") or not _next_is(stream, "INTO"):
        return None
    target = next(stream, None)
    if target is not None and target.is_word("TABLE"):
        target = next(stream, None)
    if target is None:
        return None
    qualified = False  # the previous token was the "." of a qualified name
    for token in stream:
        if token.depth or qualified:
            qualified = False
            continue
        if token.kind == "punct" and token.text == ".":
            qualified = True
            continue
        if token.is_word("FORMAT") and token.start > target.end:
            name = next(stream, None)
            if name is None or name.kind not in ("word", "quoted"):
                return None
            statement = _statement_text(buffer[: token.start])
            return InsertHead(statement, _unquote(name), _data_start(text, name.end, complete))
        if token.kind == "word" and token.text.upper() in ("VALUES", "SELECT", "WITH"):
            return None
    return None


def _statement_text(head: bytes) -> str:
    """The statement before ``FORMAT`` as text; 400 when it is not UTF-8 (as for plain SQL)."""
    try:
        return head.decode("utf-8").rstrip()
    except UnicodeDecodeError:
        raise ClickHouseError.raised(BAD_ARGUMENTS, "The query is not valid UTF-8") from None


def _next_is(stream: Iterator[Token], keyword: str) -> bool:
    token = next(stream, None)
    return token is not None and token.is_word(keyword)


def _data_start(text: str, pos: int, complete: bool) -> int:
    """ClickHouse's rule: data starts after the first newline, else after the blanks."""
    n = len(text)
    while pos < n and text[pos] in " \t\f":
        pos += 1
    if pos < n and text[pos] == "\r":
        pos += 1
    if pos < n and text[pos] == "\n":
        return pos + 1
    if pos == n and not complete:
        raise Incomplete  # the newline may be in the next chunk
    return pos


def _unquote(token: Token) -> str:
    if token.kind != "quoted":
        return token.text
    quote = token.text[0]
    return token.text[1:-1].replace(quote * 2, quote)
