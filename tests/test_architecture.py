"""The shape of the code: no import circle among the project's modules, apps depend one way.

The import graph is built from the source with `ast` (module-level and function-level imports
alike: a function-level import hides a circle from Python, not from the design).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("alienportal", "sessions", "scoreboard", "reports", "support")
# Which apps each app may import (DESIGN.md: alienportal ◀ sessions ◀ scoreboard ◀ reports;
# support → scoreboard, sessions). alienportal is the plumbing; only its urls.py (HTTP routes) and
# routing.py (WebSocket routes) know the apps.
MAY_IMPORT = {
    "alienportal": {"alienportal"},
    "sessions": {"alienportal", "sessions"},
    "scoreboard": {"alienportal", "sessions", "scoreboard"},
    "reports": {"alienportal", "sessions", "scoreboard", "reports"},
    "support": {"alienportal", "sessions", "scoreboard", "support"},
}
KNOWS_EVERY_APP = {"alienportal.urls", "alienportal.routing"}


def _modules() -> dict[str, Path]:
    modules = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts:
                continue
            name = ".".join(relative.with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = path
    return modules


def import_graph() -> dict[str, set[str]]:
    """Return, for each project module, the project modules it imports (anywhere in its body)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, *([node.module] if node.module else [])])
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                # A module importing its own package (or the package its child) is Python's
                # package machinery, not a dependency between two modules.
                if target and target != name and not name.startswith(f"{target}."):
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_circle_through_function_level_imports() -> None:
    graph = {"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}, "a.w": {"a.x"}}
    assert cycles(graph) == [["a.x", "a.y", "a.z"]]
    assert cycles({"a.x": {"a.y"}, "a.y": set()}) == []


def test_no_import_circle_among_the_projects_modules() -> None:
    graph = import_graph()
    assert "scoreboard.stream.persist" in graph  # the graph really covers the apps
    assert cycles(graph) == []


@pytest.mark.parametrize("app", APPS)
def test_apps_depend_one_way(app: str) -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        if module.split(".")[0] == app and module not in KNOWS_EVERY_APP
        for target in targets
        if target.split(".")[0] not in MAY_IMPORT[app]
    )
    assert wrong == []


def test_no_app_imports_another_apps_api_module() -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        if module not in KNOWS_EVERY_APP
        for target in targets
        if ".api" in f".{target}"
        and target.split(".")[0] != module.split(".")[0]
        and target.split(".")[0] != "alienportal"
    )
    assert wrong == []
