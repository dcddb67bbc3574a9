"""Variant files: a scenario file that ``extends:`` another and changes a few values, as the
optimiser's answer and a run's ready experiments are written."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path


def variant_header(scenario_path, variant_path, name: str, note: list[str]) -> list[str]:
    """The first lines of a variant at ``variant_path`` of the scenario at ``scenario_path``: the
    editor's schema line (as the scenario has it), ``note`` as comments, its name and ``extends:``."""
    rel = os.path.relpath(Path(scenario_path).resolve(), Path(variant_path).resolve().parent)
    schema = _schema_reference(scenario_path, variant_path)
    lines = [f"# yaml-language-server: $schema={schema}"] if schema else []
    lines += [f"# {line}" for line in note]
    return lines + [f"name: {json.dumps(name)}", f"extends: {json.dumps(rel)}"]


def _schema_reference(scenario_path, variant_path) -> str:
    """The JSON Schema the input file points editors at, as seen from the variant's folder."""
    try:
        first = Path(scenario_path).read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError):
        return ""
    match = re.match(r"#\s*yaml-language-server:\s*\$schema=(\S+)", first)
    if not match or "://" in match.group(1):
        return match.group(1) if match else ""
    target = (Path(scenario_path).resolve().parent / match.group(1)).resolve()
    return os.path.relpath(target, Path(variant_path).resolve().parent)
