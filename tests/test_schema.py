"""The JSON Schema editors use: exported by the CLI, kept in the repository, and true to the files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schema" / "scenario.schema.json"


def test_the_committed_schema_is_the_one_the_cli_exports():
    done = subprocess.run([sys.executable, "-m", "patientflow.cli", "schema"], capture_output=True, text=True)
    assert done.returncode == 0
    assert json.loads(done.stdout) == json.loads(SCHEMA.read_text()), "run: patientflow schema --out schema/scenario.schema.json"


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.name)
def test_bundled_scenarios_follow_the_schema_and_point_editors_to_it(path):
    jsonschema = pytest.importorskip("jsonschema")
    yaml = pytest.importorskip("yaml")
    text = path.read_text()
    assert "yaml-language-server: $schema=../schema/scenario.schema.json" in text.splitlines()[0]
    data = json.loads(json.dumps(yaml.safe_load(text)))  # as an editor sees it: JSON, keys are strings
    if "extends" in data:  # a variant is a partial file: the loader checks it merged with its base
        return
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))


def test_the_schema_rejects_an_unknown_key():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    bad = {"name": "x", "demand": {}, "pathways": {}, "resourcez": {}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
