import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pytest


@pytest.fixture(autouse=True)
def _own_replication_store(tmp_path, monkeypatch):
    """Each test its own shared replication store (the environment variable reaches the
    commands it starts too), so no test reuses another's replications."""
    monkeypatch.setenv("PATIENTFLOW_CACHE", str(tmp_path / "replication-store"))
