"""One place for each promise about text: control characters, placeholders, paragraphs, first sentences, and
escaping for Markdown and HTML. Pure: no I/O, no terminal library.

- **Control characters** (the terminal-safety promise of SECURITY.md): one character set, CONTROL_CHARS: the C0
  and C1 controls, DEL, and the invisible direction marks and overrides that can disguise text. Story text may
  hold only tab and newline of them (its layout); anything shown again (typed text, save values, report fields,
  paths) is stripped of all of them.
- **Placeholders**: `{name}` is a variable's value, `{role}` the role's name, `{{` and `}}` are literal braces;
  `tokens()` is the one tokenizer of `{...}` spans that the loader (to check) and the runtime (to fill) share.
- **Inline markup**: `{if COND: A | B}`, `{seq: A | B | C}`, `{cycle: A | B}`, read by `inline()`; `fill()` chooses
  the alternative shown (the condition decided by a callback, so this module needs no condition language).
- **Markdown**: `md()` escapes every character Markdown could act on, and a line start that would make a list
  or a heading (`1917. `, `- `, `+ `, `= `); `html()` is `html.escape` of the same one-line text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# --- control characters -------------------------------------------------------------------------

CONTROL_CHARS = "\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
"""The one set: C0 controls, DEL, C1 controls, left-to-right/right-to-left marks, embeddings, overrides and
isolates (as a regular-expression character class body)."""

CONTROL_RE = re.compile(f"[{CONTROL_CHARS}]")
"""Any character of the set, tab and newline included: for one-line text shown again."""

LAYOUT = "\t\n"
TEXT_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f" + CONTROL_CHARS.removeprefix("\x00-\x1f") + "]")
"""A character of the set other than tab and newline: what no story text, save value or report field may hold."""


def first_control(text: str) -> str | None:
    """The first character of the set that text may not hold (tab and newline are allowed), or None."""
    m = TEXT_CONTROL_RE.search(text)
    return m.group() if m else None


def strip_control(text: str, *, keep_layout: bool = False) -> str:
    """Text without any character of the set (tab and newline too, unless keep_layout)."""
    return (TEXT_CONTROL_RE if keep_layout else CONTROL_RE).sub("", text)


def mask_control(text: str, mask: str = "?") -> str:
    """Text with every character of the set (tab and newline too) shown as `mask`."""
    return CONTROL_RE.sub(mask, text)


def clean(text: str, limit: int = 200) -> str:
    """Typed text made safe to show again: no control characters or escapes, not too long."""
    text = strip_control(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(text: str) -> str:
    """Any text as one clean line: no control characters or direction overrides, whitespace collapsed."""
    return " ".join(CONTROL_RE.sub(" ", text).split())


# --- placeholders -------------------------------------------------------------------------------

_TOKEN = re.compile(r"\{\{|\}\}|\{((?:[^{}]|\{[^{}]*\})*)\}|[{}]")
"""`{{`, `}}`, a field (its body may hold `{name}` placeholders one level deep, for inline markup), a lone brace."""
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True, slots=True)
class Span:
    """One piece of a text as the placeholder grammar reads it."""

    kind: str
    """'text' (plain prose), 'brace' (a literal brace written `{{` or `}}`), 'field' (a `{...}` span) or 'lone'
    (a `{` or `}` with no partner: an error in a story text)."""
    value: str
    """The prose; the brace; the field's body (between the braces); the lone brace."""
    start: int
    """Offset in the text where the piece begins."""
    raw: str
    """The piece as written."""


def tokens(text: str) -> Iterator[Span]:
    """The text as a sequence of spans. A field's body may hold placeholders one level deep (`{a {b} c}` is one
    field, so inline markup can show a value); deeper nesting is not a field: `{a {b {c}}}` starts with a lone `{`.

    Inline markup (`{if EXPR: A | B}`, `{seq: A | B}`, `{cycle: A | B}`) are fields whose body starts with a
    keyword: `inline()` tells them apart from `{name}`.
    """
    pos = 0
    for m in _TOKEN.finditer(text):
        if m.start() > pos:
            yield Span("text", text[pos : m.start()], pos, text[pos : m.start()])
        raw = m.group()
        if raw in ("{{", "}}"):
            yield Span("brace", raw[0], m.start(), raw)
        elif m.group(1) is not None:
            yield Span("field", m.group(1), m.start(), raw)
        else:
            yield Span("lone", raw, m.start(), raw)
        pos = m.end()
    if pos < len(text):
        yield Span("text", text[pos:], pos, text[pos:])


def has_braces(text: str) -> bool:
    """False when the text holds no brace, so it has no placeholder (the common, fast case)."""
    return "{" in text or "}" in text


def placeholder_names(text: str) -> list[str]:
    """The body of every `{...}` field in the text, in order (`{{`/`}}` are braces, not fields)."""
    if not has_braces(text):
        return []
    return [m.group(1) for m in _TOKEN.finditer(text) if m.group(1) is not None]


class InlineError(ValueError):
    """Inline markup written wrongly; `offset` is where in the field's body."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True, slots=True)
class Inline:
    """A field of inline markup: `{if COND: A | B}`, `{seq: A | B | C}` or `{cycle: A | B}`."""

    kind: str
    """'if', 'seq' or 'cycle'."""
    cond: str
    """The condition's text ('if' only)."""
    cond_at: int
    """Where the condition starts in the field's body."""
    parts: tuple[str, ...]
    """The alternatives, stripped of the spaces around them (they may hold `{name}` placeholders)."""


_INLINE_HEAD = re.compile(r"\s*(if\s|seq\s*:|cycle\s*:)")


def _split_bars(text: str) -> list[str]:
    """Split at each `|` outside a nested `{...}`."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


@functools.lru_cache(maxsize=4096)
def inline(body: str) -> Inline | None:
    """The inline markup a field's body holds, or None when it is not markup (a `{name}`); raise InlineError when
    it starts like markup but is written wrongly."""
    m = _INLINE_HEAD.match(body)
    if m is None:
        return None
    head = m.group(1)
    if head.startswith("if"):
        at = m.end()
        colon = _colon(body, at)
        if colon < 0:
            raise InlineError("{if ...} needs a colon after its condition, as {if brave: You stay.}", at)
        cond = body[at:colon]
        if not cond.strip():
            raise InlineError("{if ...} has no condition before its colon", at)
        parts = _split_bars(body[colon + 1 :])
        if len(parts) > 2:
            raise InlineError("{if ...} takes at most two texts: {if COND: TEXT | OTHERWISE}", colon + 1)
        return Inline("if", cond.strip(), at + len(cond) - len(cond.lstrip()), tuple(parts))
    kind = head.rstrip(":").strip()
    parts = _split_bars(body[m.end() :])
    if kind == "cycle" and len(parts) < 2:
        raise InlineError("{cycle: ...} needs two texts or more, as {cycle: A | B}", m.end())
    return Inline(kind, "", 0, tuple(parts))


def _colon(body: str, start: int) -> int:
    """The first ':' at or after `start` outside quotes (the end of an inline condition), or -1."""
    quote = ""
    for i in range(start, len(body)):
        ch = body[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == ":":
            return i
    return -1


_SPACES = re.compile(r"[ \t]{2,}")
_BEFORE_STOP = re.compile(r" +(?=[,.;:!?])")


def fill(
    text: str,
    value: Callable[[str], str | None],
    test: Callable[[str], bool] | None = None,
    visit: int = 1,
) -> str:
    """The text as a player reads it: `{{`/`}}` as braces, each `{name}` replaced by value(name), inline
    markup chosen (`test(cond)` decides an `{if}`; `visit` is the scene's visit count, 1 the first time, for
    `{seq}` and `{cycle}`); a field value() has no answer for, or a lone brace, is left as written. Where
    markup was chosen, the spaces it leaves doubled (or before punctuation) are tidied."""
    if not has_braces(text):
        return text
    marked = False

    def sub(m: re.Match[str]) -> str:
        nonlocal marked
        raw = m.group()
        if raw in ("{{", "}}"):
            return raw[0]
        name = m.group(1)
        if name is None:
            return raw
        if not NAME_RE.match(name):
            try:
                mark = inline(name)
            except InlineError:
                return raw
            if mark is None:
                return raw
            marked = True
            return fill(choose(mark, test, visit), value, test, visit)
        got = value(name)
        return raw if got is None else got

    out = _TOKEN.sub(sub, text)
    if not marked:
        return out
    return _BEFORE_STOP.sub("", _SPACES.sub(" ", out)).strip(" \t")


def choose(mark: Inline, test: Callable[[str], bool] | None, visit: int) -> str:
    """The alternative of a piece of inline markup shown now."""
    parts = mark.parts
    if mark.kind == "if":
        if test is not None and test(mark.cond):
            return parts[0]
        return parts[1] if len(parts) > 1 else ""
    n = max(visit, 1) - 1
    if mark.kind == "seq":
        return parts[min(n, len(parts) - 1)]
    return parts[n % len(parts)]


# --- paragraphs and sentences -------------------------------------------------------------------

_BLANK_LINE_RE = re.compile(r"\n[ \t]*\n")


def split_paragraphs(text: str) -> list[str]:
    """Blank lines separate paragraphs; single line breaks inside a paragraph become spaces."""
    if "\n" not in text:
        text = text.strip()
        return [text] if text else []
    paras = [" ".join(block.split()) for block in _BLANK_LINE_RE.split(text)]
    return [p for p in paras if p]


def blocks(text: str) -> list[str]:
    """A long passage (a note, a document) split at blank lines; single line breaks are kept."""
    return [b.strip("\n") for b in _BLANK_LINE_RE.split(text.strip()) if b.strip()]


def clean_paragraphs(text: str) -> list[str]:
    """Any text (a report's, a save's) as clean one-line paragraphs: control characters other than the newline
    become spaces first."""
    return [
        one_line(p)
        for p in split_paragraphs(CONTROL_RE.sub(lambda m: "\n" if m.group() == "\n" else " ", text))
    ]


_ABBREVIATIONS = {
    "St",
    "Mr",
    "Mrs",
    "Dr",
    "No",
    "Gen",
    "Col",
    "Capt",
    "Lt",
    "Sgt",
    "vol",
    "cf",
    "e.g",
    "i.e",
    "N.S",
    "O.S",
    "pp",
    "p",
}
_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z“\"(])")


def first_sentence(text: str, limit: int = 220) -> str:
    """The text's first sentence (not fooled by initials such as 'I. V. Hessen' or 'No. 1') when it ends within
    `limit` characters; otherwise the text's start, cut at a word and ended with '…' (at most limit + 1)."""
    text = " ".join(text.split())
    for m in _SENTENCE_END.finditer(text):
        if m.end() > limit:
            break
        word = text[: m.start()].rsplit(" ", 1)[-1].lstrip('(“"')
        if m.group() == "." and (word in _ABBREVIATIONS or (len(word) == 1 and word.isupper())):
            continue
        return text[: m.end()]
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


# --- escaping -----------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#&!~{}])")
_MD_ORDERED = re.compile(r"^(\d+)\.")


def md(text: str) -> str:
    """Any text as inline Markdown that shows as written: one clean line, every character Markdown could act on
    backslash-escaped, and a start that would make a list or heading ('1917. ', '- ', '+ ', '= ') escaped."""
    out = _MD_SPECIAL.sub(r"\\\1", one_line(text))
    if _MD_ORDERED.match(out):
        return _MD_ORDERED.sub(r"\1\\.", out)
    return "\\" + out if out[:1] in "-+=" else out  # ('' too: a report's empty field, kept as it always was)


def md_paragraphs(text: str) -> list[str]:
    """Author's prose as Markdown paragraphs (blank lines separate them), each escaped by md()."""
    return [md(p) for p in clean_paragraphs(text)]


def html(text: str) -> str:
    """Any text as one clean line of HTML text or attribute value (html.escape, quotes included)."""
    import html as _html  # here: only reports and the server write HTML, and every command imports this module

    return _html.escape(one_line(text), quote=True)
