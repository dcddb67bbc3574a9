"""The package's floor plan holds: rooms import one way, never in a circle, never another room's
private names, and the engine stays light. Read from the source with ``ast`` (imports at module
level and inside functions alike), so nothing is imported to check it."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "patientflow"

LEAVES = {"errors", "clock", "units", "files", "distributions", "targets", "model", "log", "timeline", "version"}
# what each room may import (besides itself); a leaf module is a room of its own
MAY_IMPORT = {
    "__init__": {"scenario", "experiment", "optimiser", "report", "errors", "version"},  # its lazy exports
    "errors": set(), "clock": set(), "files": set(), "units": set(), "log": set(), "timeline": set(), "version": set(),
    "distributions": {"errors", "clock", "files"}, "targets": {"distributions"}, "model": {"distributions", "targets", "clock"},
    "engine": {"clock", "distributions", "model", "log", "timeline"},
    "scenario": {"errors", "clock", "units", "files", "distributions", "targets", "model", "engine"},
    "moments": {"clock", "targets", "model", "log"},
    "experiment": LEAVES | {"scenario", "engine", "moments"},
    "optimiser": LEAVES | {"scenario", "engine", "moments", "experiment"},
    "eventlog": LEAVES | {"scenario", "engine", "moments", "experiment"},
    "report": LEAVES | {"moments", "experiment", "eventlog", "optimiser", "scenario"},
    "cli": LEAVES | {"scenario", "engine", "moments", "experiment", "optimiser", "eventlog", "report", "__init__"},
}
# the one import that runs against the flow, lazily: ``res.plot``, a notebook's door to the figures
AGAINST_THE_FLOW = {("patientflow.experiment.results", "patientflow.report.figures")}


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (``patientflow.moments.measure``)."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports(name: str, path: Path, known: set[str]) -> list[tuple[str, str, int]]:
    """(module imported, name taken, line) for every import of the package in a module."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("patientflow"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.append((sub, "", node.lineno) if sub in known else (target, alias.name, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, "", node.lineno) for a in node.names if a.name.startswith("patientflow")]
    return found


def room(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def graph():
    known = modules()
    edges = defaultdict(set)
    private = []
    for name, path in known.items():
        for target, taken, line in imports(name, path, set(known)):
            if target != name and (name, target) not in AGAINST_THE_FLOW:
                edges[name].add(target)
            if taken.startswith("_") and not taken.startswith("__") and target != name:
                private.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {taken} from {target}")
    return known, edges, private


def test_no_module_imports_another_rooms_private_names():
    _known, _edges, private = graph()
    assert private == []


def test_there_is_no_import_cycle():
    known, edges, _private = graph()
    index, low, stack, on, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(known):
        if v not in index:
            visit(v)
    assert cycles == []


def test_every_room_imports_only_what_the_floor_plan_allows():
    _known, edges, _private = graph()
    wrong = sorted(f"{a} -> {b}" for a, targets in edges.items() for b in targets
                   if room(a) != room(b) and room(b) not in MAY_IMPORT[room(a)])
    assert wrong == []


def test_every_module_is_in_a_room_of_the_plan():
    known, _edges, _private = graph()
    assert {room(m) for m in known} <= set(MAY_IMPORT)


def test_the_engine_imports_neither_pydantic_nor_pandas():
    code = ("import sys; import patientflow.engine.replication; "
            "print(sorted(m for m in ('pydantic', 'pandas', 'scipy', 'plotly') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


HOT_LOOP = {("patientflow/engine/replication.py", "_patient")}  # the engine's per-patient loop stays whole


def test_modules_and_functions_fit_on_a_page_or_a_screen():
    long_modules, long_functions = [], []
    for path in PACKAGE.rglob("*.py"):
        name = str(path.relative_to(PACKAGE.parent))
        text = path.read_text()
        if text.count("\n") > 400:
            long_modules.append(name)
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (name, node.name) not in HOT_LOOP:
                if node.end_lineno - node.lineno + 1 > 60:
                    long_functions.append(f"{name}:{node.lineno} {node.name}")
    assert long_modules == [] and long_functions == []
