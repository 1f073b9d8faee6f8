"""The layout is a map of the architecture: data flows Slack → dispatch → Zoom/store, never back.

Read from the source (every import statement, including those only for type checkers), so a new import that
breaks the direction fails here before it becomes a tangle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[1] / "bot"
DOMAIN = ("dispatch", "scheduling", "store", "zoom", "meetings")


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {".".join(p.relative_to(BOT.parent).with_suffix("").parts).removesuffix(".__init__")
           for p in BOT.rglob("*.py")}


def imported(path: Path, *, run_time_only: bool) -> set[str]:
    """Modules ``path`` imports (``from . import x`` resolved); with ``run_time_only``, only those imported when
    the module itself is imported: not inside functions, not under ``if TYPE_CHECKING``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                names = {f"{base}.{alias.name}" for alias in node.names}
                submodules = {name for name in names if name in MODULES}
                # `from package import submodule` depends on the submodule, not on the package's __init__.
                found.update(submodules or {base})
            elif isinstance(node, ast.If) and run_time_only and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and run_time_only:
                continue
            elif hasattr(node, "body"):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    visit([n for n in getattr(node, field, []) if isinstance(n, ast.stmt | ast.ExceptHandler)])

    visit(tree.body)
    return found


def sources(package: str = "") -> list[Path]:
    return sorted((BOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", DOMAIN)
def test_domain_packages_never_import_the_slack_layer(package: str) -> None:
    offenders = {module_name(path): sorted(m for m in imported(path, run_time_only=False)
                                           if m == "bot.slack" or m.startswith("bot.slack."))
                 for path in sources(package)}
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_there_are_no_import_cycles_at_run_time() -> None:
    modules = {module_name(path): path for path in sources()}
    graph = {name: {m for m in imported(path, run_time_only=True) if m in modules and m != name}
             for name, path in modules.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def walk(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target):], target])
            elif target not in state:
                walk(target, [*path, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name, [name])
    # A package importing its own submodules is how packages work; a submodule importing its package back
    # (directly or round the houses) is the cycle that makes import order matter.
    assert cycles == []


def test_the_scan_sees_imports_where_there_are_some() -> None:
    """The checks above would pass vacuously if the scan found nothing."""
    assert "bot.slack.wording" in imported(BOT / "runtime.py", run_time_only=True)
    services = BOT / "services.py"  # imports Slack-layer types for type checkers only
    assert "bot.slack.rooms.feature" in imported(services, run_time_only=False)
    assert "bot.slack.rooms.feature" not in imported(services, run_time_only=True)
