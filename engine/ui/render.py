"""What the terminal shows, as rich renderables and prompt_toolkit text fragments. Prints nothing.

One function per screen: `scene`, `ending`, `message`, `table`, `title_screen`, `content_notes`, plus the
menu lines (`menu_fragments`) and the status line (`toolbar_fragments`, `toolbar_text`). Story text always
goes into `rich.text.Text` objects, never through console markup, so a bracket in a story stays a bracket.
"""

from __future__ import annotations

import datetime as _dt
import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.padding import Padding
from rich.panel import Panel
from rich.rule import Rule
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from engine.model import Story, Term
from engine.session import (
    AnswerView,
    ChoicesView,
    EndingView,
    Leave,
    Message,
    OptionView,
    SceneView,
    TableView,
    View,
)
from engine.text import blocks

READING_WIDTH = 72
"""The widest a line of story text gets: about what a printed page holds."""
INDENT = 2
"""Left margin of the reading column."""
MIN_WIDTH = 20

# Styles are literal (no Theme) so that any Console, a test's included, renders them. No style relies on
# colour alone: under NO_COLOR rich drops the colours and bold, dim, italic and underline still tell apart.
TITLE = "bold"
RULE = "bright_black"
DATE = "italic"
TERM = "bold cyan"
NUMBER = "bold"
LOCKED = "dim"
HINT = "dim italic"
NUDGE = "yellow"
ERROR = "bold red"
ENDING = "bold"


def reading_width(total: int) -> int:
    """Width of the text column on a terminal `total` columns wide: 72, less on a narrow one."""
    return max(MIN_WIDTH, min(READING_WIDTH, total - 2 * INDENT))


# --- glossary terms ---------------------------------------------------------------------------


@lru_cache(maxsize=8)
def term_pattern(glossary: tuple[Term, ...]) -> re.Pattern[str] | None:
    """One regex for every glossary term and alias: whole words, case-sensitive, longest first.

    Cached on the glossary itself (terms are frozen and hashable), so it is built once per story and
    again only when `reload` brings a different glossary.
    """
    words = {t.term for t in glossary} | {a for t in glossary for a in t.aliases}
    ordered = sorted((w for w in words if w.strip()), key=lambda w: (-len(w), w))
    if not ordered:
        return None
    # Longest first, so 'Petrograd Soviet' wins over 'Soviet'; lookarounds instead of \b because
    # terms may begin or end with a non-word character ("K-D", "People's Freedom").
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in ordered) + r")(?!\w)")


def marked(text: str, pattern: re.Pattern[str] | None, style: str = "") -> Text:
    """`text` as rich Text with the glossary terms highlighted."""
    out = Text(text, style=style)
    if pattern is not None:
        for m in pattern.finditer(text):
            out.stylize(TERM, m.start(), m.end())
    return out


def pattern_for(story: Story | None) -> re.Pattern[str] | None:
    return term_pattern(story.glossary) if story is not None else None


# --- the reading column -----------------------------------------------------------------------


class Column:
    """Renderables set in the reading column: a rule across it, then a left margin and at most 72 columns.

    The width is worked out when rendered, not when built, so a scene built once fits whatever width the
    terminal has at the moment it is printed (after a resize too).
    """

    def __init__(self, items: Sequence[RenderableType], title: Text | None = None, rule: bool = True) -> None:
        self.items = list(items)
        self.title = title
        self.rule = rule

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = reading_width(options.max_width)
        outer = min(options.max_width, width + 2 * INDENT)
        if self.rule or self.title is not None:
            rule = Rule(self.title, style=RULE) if self.title is not None else Rule(style=RULE)
            yield from console.render(rule, options.update_width(outer))
        body = Padding(Group(*self.items), (0, 0, 0, INDENT))
        lines = console.render_lines(
            body, options.update_width(min(options.max_width, width + INDENT)), pad=False
        )
        for line in lines:
            yield from _rstrip(line)
            yield Segment.line()


def _rstrip(line: list[Segment]) -> list[Segment]:
    """A rendered line without its trailing padding, so the terminal can reflow it cleanly on a resize."""
    line = list(line)
    while line:
        last = line[-1]
        if last.control or (
            last.style is not None and (last.style.bgcolor is not None or last.style.reverse)
        ):
            break
        text = last.text.rstrip(" ")
        if text:
            line[-1] = Segment(text, last.style, last.control)
            break
        line.pop()
    return line


def _paragraphs(texts: Iterable[str], pattern: re.Pattern[str] | None) -> list[RenderableType]:
    out: list[RenderableType] = []
    for text in texts:
        if out:
            out.append(Text())
        out.append(marked(text, pattern))
    return out


# --- screens ----------------------------------------------------------------------------------


def date_line(view: SceneView) -> Text:
    return Text(" · ".join(p for p in (view.date, view.place) if p), style=DATE)


def choices(view: SceneView | ChoicesView) -> RenderableType:
    """The numbered choices; locked ones dimmed and followed by what they need, in words."""
    return option_grid(view.options)


def option_grid(options: Sequence[OptionView]) -> RenderableType:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column()
    for o in options:
        number = Text(str(o.number), style=LOCKED if o.locked else NUMBER)
        if o.locked:
            label = Text(o.text, style=LOCKED)
            label.append(f"  (locked: {o.locked})", style=HINT)
        else:
            label = Text(o.text)
        grid.add_row(number, label)
    return Padding(grid, (0, 0, 0, 2), expand=False)


def reminder(view: ChoicesView) -> RenderableType:
    """The choices again after a command's output, under a rule that says where the player is."""
    return Column([option_grid(view.options)], title=Text(view.bearings, style=DATE))


def answer(view: AnswerView, story: Story | None = None) -> RenderableType:
    """A choice answered: '» the chosen text', the response (when the story has one), what changed."""
    items: list[RenderableType] = [Text(f"» {view.choice}", style="bold")]
    if view.response:
        items += [Text(), *_paragraphs(blocks(view.response), pattern_for(story))]
    if view.changes:
        items += [Text(" · ".join(view.changes), style="italic")]
    return Column(items, rule=False)


def scene_hint(view: SceneView) -> Text:
    """One line under the choices: how to choose, and the commands this scene has something for."""
    open_count = sum(1 for o in view.options if not o.locked)
    parts = []
    if open_count == 1:
        parts.append("Type 1 to go on")
    elif open_count:
        parts.append(f"Type 1-{len(view.options)} to choose")
    if view.has_note:
        parts.append("'note' for the history")
    if view.documents:
        parts.append("'documents' for the sources")
    parts.append("'help' for more")
    return Text(" · ".join(parts), style=HINT)


def scene(view: SceneView, story: Story | None = None, hint: bool = True) -> RenderableType:
    """A scene: rule with the title, date and place, the text, the numbered choices, a hint line."""
    pattern = pattern_for(story)
    items: list[RenderableType] = [date_line(view), Text(), *_paragraphs(view.paragraphs, pattern)]
    if view.options:
        items += [Text(), choices(view)]
        if hint:
            items += [Text(), scene_hint(view)]
    return Column(items, title=Text(view.title, style=TITLE))


def ending(view: EndingView, story: Story | None = None, hint: str = "") -> RenderableType:
    """An ending: the scene's text, the ending's title and epilogue in a box, and how many endings are found."""
    pattern = pattern_for(story)
    epilogue = _paragraphs(blocks(view.epilogue), pattern)
    boxed = Panel(
        Group(Text(view.title, style=ENDING, justify="center"), Text(), *epilogue),
        box=box.DOUBLE,
        padding=(1, 2),
        title="The end",
        title_align="center",
    )
    items: list[RenderableType] = [
        scene(view.scene, story, hint=False),
        Text(),
        Column([boxed, Text(), Text(f"Endings found: {view.found}/{view.total}", style=ENDING)], rule=False),
    ]
    if hint:
        items += [Text(), Column([Text(hint, style=HINT)], rule=False)]
    return Group(*items)


def message(view: Message, story: Story | None = None) -> RenderableType:
    """A message: a passage with a title (note, document, glossary entry), or one line of news, hint or error."""
    if view.kind == "text" or view.title:
        return Column(
            _paragraphs(blocks(view.text), pattern_for(story)),
            title=Text(view.title, style=TITLE) if view.title else None,
        )
    if view.kind == "error":
        return Column([Text(f"! {view.text}", style=ERROR)], rule=False)
    if view.kind == "hint":
        return Column([Text(view.text, style=NUDGE)], rule=False)
    return Column([Text(view.text)], rule=False)


def table(view: TableView) -> RenderableType:
    """A table (journal, stats, saves, endings, help), titled, wrapping to the reading column."""
    headed = any(view.columns)
    grid = Table(
        box=box.SIMPLE_HEAD if headed else None,
        show_header=headed,
        show_edge=False,
        pad_edge=False,
        header_style="bold",
        padding=(0, 1),
    )
    if view.note_last and view.rows:
        return Column([_NotedRows(view.rows)], title=Text(view.title, style=TITLE))
    for name in view.columns:
        grid.add_column(name, overflow="fold")
    for row in view.rows:
        grid.add_row(*(Text(cell) for cell in row))
    body: list[RenderableType] = [grid] if view.rows else [Text("(none yet)", style=HINT)]
    return Column(body, title=Text(view.title, style=TITLE))


@dataclass(frozen=True)
class _NotedRows:
    """Rows whose last cell is a sentence: the other cells in aligned columns, the sentence wrapped under them
    across the whole width (a column of its own would be a few words wide at 80 columns). The first column
    (the label) gives way on a narrow screen, wrapping, so the value and its word always show whole."""

    rows: tuple[tuple[str, ...], ...]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        cells = [row[:-1] for row in self.rows]
        notes = [row[-1] for row in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
        rest = sum(widths[1:]) + 2 * (len(widths) - 1)
        widths[0] = max(8, min(widths[0], options.max_width - rest))
        for row, note in zip(cells, notes, strict=True):
            line = Table.grid(padding=(0, 2))
            for i, width in enumerate(widths):
                line.add_column(width=width, overflow="fold" if i else "ellipsis", no_wrap=bool(i))
            line.add_row(*(Text(cell) for cell in row))
            yield line
            if note:
                yield Padding(Text(note, style=HINT), (0, 0, 0, 2))


def view(item: View, story: Story | None = None, ending_hint: str = "") -> RenderableType | None:
    """The renderable for any view a Session returns (None for Leave, which shows nothing)."""
    if isinstance(item, SceneView):
        return scene(item, story)
    if isinstance(item, EndingView):
        return ending(item, story, ending_hint)
    if isinstance(item, Message):
        return message(item, story)
    if isinstance(item, TableView):
        return table(item)
    if isinstance(item, ChoicesView):
        return reminder(item)
    if isinstance(item, AnswerView):
        return answer(item, story)
    if isinstance(item, Leave):
        return None
    raise TypeError(f"no renderer for {type(item).__name__}")


def title_screen(story: Story) -> RenderableType:
    """The game's title and its one-line premise, boxed, before the menu."""
    inner: list[RenderableType] = [Text(story.title, style="bold", justify="center")]
    if story.premise:
        inner += [Text(), Text(" ".join(story.premise.split()), style="italic", justify="center")]
    return Column([Panel(Group(*inner), box=box.DOUBLE, padding=(1, 2))], rule=False)


def content_notes(story: Story) -> RenderableType | None:
    """What the story contains that a player may want to know before starting."""
    if not story.content_notes:
        return None
    notes = Table.grid(padding=(0, 1))
    notes.add_column(no_wrap=True)
    notes.add_column()
    for note in story.content_notes:
        notes.add_row("  •", Text(" ".join(note.split())))
    return Column([Text("This story includes:"), notes], title=Text("Before you begin", style=TITLE))


def farewell(slot: str, options: str = "") -> RenderableType:
    return Column(
        [
            Text(
                f"Your game is saved in the slot '{slot}'. Choose Continue on the title screen, "
                f"or run: dualpower --load {slot}{options}",
                style=HINT,
            )
        ],
        rule=False,
    )


# --- menus (prompt_toolkit fragments) ---------------------------------------------------------

Fragments = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class MenuItem:
    value: str
    label: str
    detail: str = ""
    """Dim text beside the label (one line) or, with `long` menus, a paragraph under it."""


def menu_fragments(
    items: Sequence[MenuItem],
    selected: int,
    width: int,
    long: bool = False,
    message: str = "",
    back: bool = True,
) -> Fragments:
    """A menu as prompt_toolkit text: numbered items, a pointer at the selected one, a line of help.

    `long` menus (the roles) put each item's detail under it as a wrapped paragraph; short ones keep it on
    the item's line, cut to fit. The (hidden) cursor sits on the selected item, so that a list taller than
    the screen scrolls to keep it in view.
    """
    width = max(MIN_WIDTH, width)
    text_width = reading_width(width)
    out: Fragments = [("", "\n")]
    if message:
        out.append(("class:picker.message", f"{' ' * INDENT}{message}\n\n"))
    digits = len(str(len(items)))
    label_width = max(len(item.label) for item in items) if items else 0
    for i, item in enumerate(items):
        here = i == selected
        pointer = "❯ " if here else "  "
        head = f"{' ' * INDENT}{pointer}{i + 1:>{digits}}  "
        if here and not (long and item.detail):
            out.append(("[SetCursorPosition]", ""))
        style = "class:picker.selected" if here else "class:picker.item"
        label_lines = textwrap.wrap(item.label, max(10, width - len(head) - 1)) or [""]
        out.append((style, head + label_lines[0]))
        for more in label_lines[1:]:  # a long label wraps under itself, not under the number
            out.append(("", "\n" + " " * len(head)))
            out.append((style, more))
        if item.detail and not long and len(label_lines) == 1:
            # Details line up in a column after the longest label, and are cut to the screen's width.
            gap = " " * (label_width - len(item.label) + 3)
            room = width - len(head) - label_width - 4
            if room < 8:
                gap, room = "   ", width - len(head) - len(item.label) - 4
            if room >= 8:
                detail = item.detail if len(item.detail) <= room else item.detail[: room - 1] + "…"
                out.append(("class:picker.detail", f"{gap}{detail}"))
        out.append(("", "\n"))
        if item.detail and long:
            pad = " " * len(head)
            lines = textwrap.wrap(item.detail, max(MIN_WIDTH, text_width - len(head) + INDENT))
            for n, line in enumerate(lines):
                if here and n == len(lines) - 1:
                    # The cursor on the description's last line: scrolling keeps the whole of the selected
                    # item, its description too, in view on a short screen.
                    out.append(("[SetCursorPosition]", ""))
                out.append(("class:picker.detail", f"{pad}{line}\n"))
            if i < len(items) - 1:
                out.append(("", "\n"))
    keys = f"1-{len(items)}" if len(items) > 1 else "1"
    esc = " Esc goes back." if back else ""
    out.append(("class:picker.help", f"\n{' ' * INDENT}↑/↓ and Enter, or type {keys}.{esc}"))
    return out


# --- the status line --------------------------------------------------------------------------


TOOLBAR_LINES = 3
"""At most this many lines of values under the bearings line; what does not fit ends in '…'."""


def _cut(text: str, room: int) -> str:
    return text if len(text) <= room else text[: max(0, room - 1)] + "…"


def _toolbar_lines(
    items: Sequence[tuple[str, str]], width: int, bearings: str = ""
) -> list[list[tuple[str, str]]]:
    """Lines of (kind, text) pieces, each at most `width - 1` long.

    With `bearings` ('Dawn · Thu 23 Feb 1917 · The corner bakery') the first line says where and when the
    player is, and the values follow on lines of their own: ' Worker │ Bread 3 │ Danger 0', wrapped between
    values (never inside one) onto up to TOOLBAR_LINES lines, so every value shows at 80 columns. Without
    bearings the first line starts with the role and the date, as before."""
    if not items:
        return []
    room = max(MIN_WIDTH, width) - 1  # the last column stays free: some terminals scroll when it is written
    role, date = items[0]
    lines: list[list[tuple[str, str]]] = []
    if bearings:
        lines.append([("plain", _cut(f" {bearings}", room))])
        current = [("role", _cut(f" {role}", room))]
    else:
        current = [("role", f" {role}"), ("plain", _cut(f" · {date}", room - len(role) - 1))]
    used = sum(len(t) for _, t in current)
    rest = list(items[1:])
    values = 1
    for n, (label, value) in enumerate(rest):
        chunk = [("sep", " │"), ("plain", f" {label} "), ("value", value)]
        size = sum(len(t) for _, t in chunk)
        reserve = 0 if n == len(rest) - 1 else 4  # room for ' │ …' unless this is the last value
        if used + size <= room and (values < TOOLBAR_LINES or used + size + reserve <= room):
            current += chunk
            used += size
            continue
        if values < TOOLBAR_LINES and 1 + len(label) + 1 + len(value) <= room:
            lines.append(current)
            values += 1
            current = [("plain", f" {label} "), ("value", value)]
            used = sum(len(t) for _, t in current)
            continue
        if used + 4 <= room:
            current += [("sep", " │"), ("plain", " …")]
        break
    lines.append(current)
    return lines


def toolbar_fragments(items: Sequence[tuple[str, str]], width: int, bearings: str = "") -> Fragments:
    """The bottom toolbar for prompt_toolkit: the bearings line, then ' Worker │ Bread 3 │ ...' (see
    `_toolbar_lines`)."""
    styles = {"role": "class:toolbar.role", "value": "class:toolbar.value", "sep": "", "plain": ""}
    out: Fragments = []
    for n, line in enumerate(_toolbar_lines(items, width, bearings)):
        if n:
            out.append(("", "\n"))
        out += [(styles[kind], text) for kind, text in line]
    return out


def toolbar_text(items: Sequence[tuple[str, str]], width: int, bearings: str = "") -> Text:
    """The same status lines as rich Text (for pictures), each padded to `width`."""
    styles = {"role": "bold reverse", "value": "bold reverse", "sep": "reverse", "plain": "reverse"}
    out = Text()
    for n, line in enumerate(_toolbar_lines(items, width, bearings)):
        row = Text()
        for kind, text in line:
            row.append(text, style=styles[kind])
        row.pad_right(max(0, width - row.cell_len))
        row.stylize("reverse")
        if n:
            out.append("\n")
        out.append_text(row)
    return out


def short_iso(iso: str) -> str:
    """'1917-02-23' -> '23 Feb 1917' (for the save lists); anything else is shown as it is."""
    try:
        d = _dt.date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d.day} {d:%b %Y}"
