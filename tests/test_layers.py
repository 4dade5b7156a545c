"""The house's layers: no import circle among engine modules, and nothing below the front ends imports one.

Imports are read with `ast` from every module under engine/ (imports inside functions count: a lazy import is
still a dependency). Front ends are engine/cli*, engine/commands*, engine/__main__, engine/ui/ and
engine/server/; everything else is library code, which may not import a front end, a terminal library or a
network library.
"""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "engine"
FRONT_ENDS = ("engine.cli", "engine.commands", "engine.__main__", "engine.ui", "engine.server")
FORBIDDEN_BELOW = (
    *(f for f in FRONT_ENDS if f != "engine.__main__"),
    "prompt_toolkit",
    "rich",
    "socket",
    "socketserver",
    "asyncio",
    "http",
    "urllib.request",
    "ssl",
    "starlette",
    "uvicorn",
    "aiohttp",
    "asyncssh",
    "jinja2",
    "websockets",
    "fastapi",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ENGINE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module `path` imports, anywhere in it (absolute names; `from engine import x` gives engine.x)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return out


def graph() -> dict[str, set[str]]:
    """engine module -> the engine modules it imports (names that are not modules, like a class, dropped)."""
    modules = {module_name(p): p for p in ENGINE.rglob("*.py")}
    return {name: {m for m in imports(path) if m in modules and m != name} for name, path in modules.items()}


def is_front_end(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") or name.startswith(f + "_") for f in FRONT_ENDS)


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle_among_engine_modules() -> None:
    # A package's __init__ imported by its modules is no circle of code; drop those edges.
    edges = {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in graph().items()}
    assert cycles(edges) == []


def test_library_code_imports_no_front_end_nor_terminal_or_network_library() -> None:
    bad = []
    for path in sorted(ENGINE.rglob("*.py")):
        name = module_name(path)
        if is_front_end(name):
            continue
        for imported in sorted(imports(path)):
            for forbidden in FORBIDDEN_BELOW:
                if imported == forbidden or imported.startswith(forbidden + "."):
                    bad.append(f"{name} imports {imported}")
    assert bad == []


def test_the_checks_see_imports_inside_functions_and_find_circles(tmp_path: Path) -> None:
    # The checker itself: a lazy import is seen, and a two-module circle is reported.
    mod = tmp_path / "engine" / "x.py"
    mod.parent.mkdir()
    mod.write_text("def f():\n    from engine import cli\n    import rich.console\n", encoding="utf-8")
    global ENGINE
    saved, ENGINE = ENGINE, tmp_path / "engine"
    try:
        assert {"engine.cli", "rich.console"} <= imports(mod)
    finally:
        ENGINE = saved
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
