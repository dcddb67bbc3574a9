import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pytest


@pytest.fixture(scope="session", autouse=True)
def session_replication_store(tmp_path_factory) -> Path:
    """The shared replication store of what runs outside a test (module and session fixtures),
    and of the tests that ask for it: one for the whole run, shared by the parallel workers
    (the store is safe for several processes at once), never the user's own
    (``~/.cache/patientflow``). The bundled baseline simulated by one file is then not
    simulated again by another with the same seed."""
    base = tmp_path_factory.getbasetemp()
    top = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the workers' common folder
    path = top / "session-replication-store"
    path.mkdir(exist_ok=True)
    mp = pytest.MonkeyPatch()
    mp.setenv("PATIENTFLOW_CACHE", str(path))
    yield path
    mp.undo()


@pytest.fixture(autouse=True)
def _own_replication_store(tmp_path, monkeypatch):
    """Each test its own shared replication store (the environment variable reaches the
    commands it starts too), so no test reuses another's replications, unless it asks for
    :func:`shared_store`."""
    monkeypatch.setenv("PATIENTFLOW_CACHE", str(tmp_path / "replication-store"))


@pytest.fixture
def shared_store(session_replication_store, _own_replication_store, monkeypatch) -> Path:
    """The session's replication store for this test: for tests that check what a command
    prints or writes, not how many replications it ran (outputs are the same with the store
    on or off, tests/test_shared_store.py)."""
    monkeypatch.setenv("PATIENTFLOW_CACHE", str(session_replication_store))
    return session_replication_store


# The files that take longest (minutes of replications each): run first, so that the parallel
# workers, which take whole files (--dist loadfile), do not end with one of them alone.
LONGEST_FIRST = ("test_baseline.py", "test_queueing.py", "test_optimise.py", "test_report_layout.py")


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order
