"""How a variant's values are merged into the scenario it extends — the one rule for files that
``extends:`` and for :meth:`Scenario.with_changes`: mappings key by key (a roster shift by shift),
lists whole except a pathway patched step by step, and on a resource (or a fleet's station) a
``count``, a ``roster`` or a ``fleet`` replaces the others.
"""

from __future__ import annotations

import copy
from difflib import get_close_matches
from typing import Any, Mapping

Path_ = tuple  # a key path into the scenario tree: ("pathways", "ed", 0, "triage", "use")


# keys of which a section holds one: setting one in a variant replaces the other
EXCLUSIVE = {("resources", "*"): ("count", "roster", "fleet"), ("resources", "*", "fleet", "*"): ("count", "roster")}


def merge(base: Any, over: Any, path: Path_ = (), unknown: list[Path_] | None = None) -> Any:
    """``over`` (a variant file's tree, or changes) merged into ``base``; the path of each patch
    naming a step ``base`` lacks is added to ``unknown``."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        shape = tuple("*" if i % 2 else p for i, p in enumerate(path)) if len(path) in (2, 4) else None
        for keys in ((EXCLUSIVE.get(shape, ()),) if shape else ()):
            given = [k for k in keys if k in over]
            if given:
                for k in keys:
                    if k not in given:
                        out.pop(k, None)
        for key, value in over.items():
            out[key] = merge(base[key], value, (*path, key), unknown) if key in base else copy.deepcopy(value)
        return out
    if is_pathway(base) and isinstance(over, dict):
        steps = [dict(step) for step in base]
        for name, patch in over.items():
            for step in steps:
                if name in step:
                    step[name] = merge(step[name], patch, (*path, name), unknown)
                    break
            else:
                if unknown is not None:
                    unknown.append((*path, name))
        return steps
    return copy.deepcopy(over)


def unknown_steps(data: dict, unknown: list[Path_]) -> list[tuple[Path_, str]]:
    """A message for each patch (``("pathways", pathway, step)``) naming a step the pathway lacks."""
    out = []
    for sub in unknown:
        steps = [name for step in data["pathways"][sub[1]] for name in step] if sub[0] == "pathways" else []
        close = get_close_matches(str(sub[-1]), steps, n=1)
        out.append((sub, f"pathway {sub[-2]!r} has no step {sub[-1]!r} to change"
                    + (f"; did you mean {close[0]!r}?" if close else "")
                    + " (to add or remove steps, give the whole pathway as a list)"))
    return out


CHANGES = "<with_changes>"  # where a problem in changes given in code is located


def changes_tree(changes: Mapping[str, Any]) -> dict:
    """Dotted changes (``{"resources.doctor.count": 6, "pathways.ed.triage.takes": "4min"}``) as
    the tree a variant file would hold (a step named within its pathway)."""
    tree: dict = {}
    for dotted, value in changes.items():
        keys = str(dotted).split(".")
        node = tree
        for key in keys[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        node[keys[-1]] = copy.deepcopy(value)
    return tree


def key_paths(tree: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every key path in a tree of mappings."""
    if not isinstance(tree, dict):
        return []
    out = []
    for key, value in tree.items():
        out.append((*prefix, key))
        out += key_paths(value, (*prefix, key))
    return out


def is_pathway(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(s, dict) and len(s) == 1 for s in value)


def translate(path: Path_, tree: Any) -> Path_:
    """A child's path (which may name a step) as a path into the merged tree (step index)."""
    out: list = []
    node = tree
    for part in path:
        if isinstance(node, list) and isinstance(part, str):
            index = next((i for i, s in enumerate(node) if isinstance(s, dict) and part in s), None)
            if index is None:
                return tuple(out)
            out.extend([index, part])
            node = node[index][part]
            continue
        out.append(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(out)
