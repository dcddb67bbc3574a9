"""The same commands on a real Dask cluster: a ``dask scheduler`` and two ``dask worker`` processes
started here on the loopback interface, not a LocalCluster inside the test's process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import CALLS, write

DASK = Path(sys.executable).with_name("dask")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not DASK.exists() and shutil.which("dask") is None:
        pytest.skip("dask[distributed] is not installed (pip install 'patientflow[dask]')")
    dask = str(DASK if DASK.exists() else shutil.which("dask"))
    folder = tmp_path_factory.mktemp("cluster")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    started = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                 "--dashboard-address", ":0"], cwd=folder, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        for _ in range(2):
            started.append(subprocess.Popen([dask, "worker", address, "--nworkers", "1", "--nthreads", "1",
                                             "--host", "127.0.0.1", "--dashboard-address", ":0"], cwd=folder, env=env,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from dask.distributed import Client
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=90)
        yield address
    finally:
        for process in reversed(started):
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.mark.slow
def test_run_on_a_real_cluster_gives_the_bytes_of_a_local_run(cluster, tmp_path):
    path = write(tmp_path, CALLS)

    def run(out: str, *how: str) -> bytes:
        done = subprocess.run([sys.executable, "-m", "patientflow.cli", "run", str(path), "-r", "6", "--out",
                               str(tmp_path / out), "--fresh", *how], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        return (tmp_path / out / "summary.csv").read_bytes()

    assert run("cluster", "--dask", cluster) == run("local", "--jobs", "1")
