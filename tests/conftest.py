import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pytest


@pytest.fixture(scope="session", autouse=True)
def _session_replication_store(tmp_path_factory):
    """The shared replication store of what runs outside a test (module and session fixtures):
    one for the session, never the user's own (``~/.cache/patientflow``)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("PATIENTFLOW_CACHE", str(tmp_path_factory.mktemp("session-replication-store")))
    yield
    mp.undo()


@pytest.fixture(autouse=True)
def _own_replication_store(tmp_path, monkeypatch):
    """Each test its own shared replication store (the environment variable reaches the
    commands it starts too), so no test reuses another's replications."""
    monkeypatch.setenv("PATIENTFLOW_CACHE", str(tmp_path / "replication-store"))
