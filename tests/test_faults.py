"""Nothing lost or mixed when things go wrong: a stored replication that is not what its name says,
two runs into one folder, Ctrl-C, a killed main process with workers, and output locations that
cannot be written. Every test runs the real command in its own process and sends real signals."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import CALLS as HELPERS_CALLS, session, write
from patientflow.experiment.output import output_error, staged
from patientflow.experiment.store import NotTheReplication, read_stored, replication_identity


pytestmark = pytest.mark.slow  # real processes and signals: about a minute in all (CI runs them)

CALLS = HELPERS_CALLS.replace("length: 4d, warm_up: 12h", "length: 2d, warm_up: 6h").replace("per_day: 400", "per_day: 200")
SLOW = CALLS.replace("length: 2d", "length: 21d")  # replications of a sixth of a second: time to interrupt a run
SLOW_REPLICATIONS = 16
EXAMPLE_LOG = Path(__file__).resolve().parents[1] / "examples" / "event_log" / "ed_attendances.csv"


def command(*args) -> list[str]:
    return [sys.executable, "-m", "patientflow.cli", *map(str, args)]


def start(*args) -> subprocess.Popen:
    """The command in a session of its own (so its whole process group can be signalled), with
    Ctrl-C as a terminal would deliver it (a test runner may have it ignored)."""
    def child() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    return subprocess.Popen(command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=child)


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run(command(*args), capture_output=True, text=True, timeout=300)


def stored(out: Path) -> list[Path]:
    try:
        return sorted((out / ".replications").glob("replication-*.npz"))
    except FileNotFoundError:  # the run is making its store afresh at this moment
        return []


def wait_for_stored(out: Path, count: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while len(stored(out)) < count:
        assert proc.poll() is None, f"the run ended before {count} replications were stored: {proc.stderr.read()}"
        assert time.time() < deadline, "the run stored too few replications in time"
        time.sleep(0.02)


def files(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` (hidden ones too): its size and modification time."""
    found = {}
    for place, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(place) / name
            with_stat = path.stat()
            found[str(path.relative_to(folder))] = (with_stat.st_size, with_stat.st_mtime_ns)
    return found


def temporaries(folder: Path) -> list[str]:
    return [name for name in files(folder) if name.endswith(".tmp")]


def assert_same_outputs(out: Path, reference: Path, patients: bool = False) -> None:
    for name in ("summary.csv", "utilisation.csv"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    if patients:
        pd.testing.assert_frame_equal(pd.read_parquet(out / "patients.parquet"),
                                      pd.read_parquet(reference / "patients.parquet"))


def assert_same_store(out: Path, reference: Path) -> None:
    """Every replication stored in ``out`` is the reference run's replication of that number."""
    for path in stored(out):
        with np.load(path) as mine, np.load(reference / ".replications" / path.name) as theirs:
            assert np.array_equal(mine["stats"], theirs["stats"], equal_nan=True), path.name


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Uninterrupted runs to hold the others against: the scenario (4 replications, patients
    kept) and the slow one."""
    folder = tmp_path_factory.mktemp("faults")
    path, slow = write(folder, CALLS), write(folder, SLOW, "slow.yaml")
    procs = [start("run", path, "-r", 4, "--out", folder / "calls", "--jobs", 1, "--patients"),
             start("run", slow, "-r", SLOW_REPLICATIONS, "--out", folder / "slow", "--jobs", 1)]
    for proc in procs:
        _out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    return {"scenario": path, "slow": slow, "calls": folder / "calls", "slow_out": folder / "slow"}


def test_a_swapped_a_truncated_and_a_garbage_stored_file_are_set_aside_with_a_warning_and_run_again(runs, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(runs["calls"], out)
    store = out / ".replications"
    shutil.copyfile(store / "replication-00002.npz", store / "replication-00001.npz")  # another replication's file
    data = (store / "replication-00002.npz").read_bytes()
    (store / "replication-00002.npz").write_bytes(data[: len(data) // 2])  # cut short
    (store / "patients-00003.parquet").write_bytes(b"PAR1 not a patient log at all " * 100)  # garbage
    for stale in (out / ".summary.csv.k1ll3d99.tmp", store / ".patients-00001.parquet.k1ll3d99.tmp"):
        stale.write_text("left by a kill -9")  # the next run removes them
    done = cli("run", runs["scenario"], "-r", 4, "--out", out, "--jobs", 1, "--patients")
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 3, done.stderr
    assert "replication-00001.npz: holds replication 2 " in warnings[0] and "runs again" in warnings[0]
    assert "replication-00002.npz: cannot be read" in warnings[1]
    assert "replication-00003.npz: patients-00003.parquet is not the patient log it recorded" in warnings[2]
    meta = json.loads((out / "run.json").read_text())
    assert meta["replications_resumed"] == [0] and meta["replications_run"] == [1, 2, 3]
    assert sorted(p.name for p in (store / "set-aside").iterdir()) == sorted(
        f"{kind}-{r:05d}.{suffix}" for r in (1, 2, 3) for kind, suffix in (("replication", "npz"), ("patients", "parquet")))
    assert_same_outputs(out, runs["calls"], patients=True)
    assert temporaries(out) == []


def test_runs_into_a_folder_another_run_is_writing_are_turned_away_and_nothing_mixes(runs, tmp_path):
    """Runs started at once race for the folder's lock; those that lose are in the place of the
    runs here (one with another seed, one with the same), started once the first is writing."""
    out = tmp_path / "out"
    first = start("run", runs["slow"], "-r", SLOW_REPLICATIONS, "--out", out, "--jobs", 1)
    wait_for_stored(out, 1, first)
    others = [start("run", runs["slow"], "-r", SLOW_REPLICATIONS, "--seed", seed, "--out", out, "--jobs", 1)
              for seed in (12, 11)]
    for other in others:
        _out, err = other.communicate(timeout=300)
        assert other.returncode == 2 and "Traceback" not in err, err
        assert re.fullmatch(rf"{re.escape(str(out))}: in use by another run \(process {first.pid}, started "
                            rf"[0-9: -]+: patientflow run .*\); wait for it to end, or write to another folder",
                            err.splitlines()[-1]), err
    _out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    meta = json.loads((out / "run.json").read_text())
    assert meta["seed"] == 11 and meta["replications_run"] == list(range(SLOW_REPLICATIONS))
    assert_same_outputs(out, runs["slow_out"])
    assert len(stored(out)) == SLOW_REPLICATIONS  # all of the first run's replications, and only them
    assert_same_store(out, runs["slow_out"])
    for path in stored(out):  # each carries the first run's identity: a resume loads them all
        read_stored(path, replication_identity(meta["scenario_hash"], 11, int(path.stem.split("-")[1])))


def test_ctrl_c_says_what_is_kept_leaves_no_temporaries_and_the_rerun_equals_an_uninterrupted_run(runs, tmp_path):
    out = tmp_path / "out"
    args = ("run", runs["slow"], "-r", SLOW_REPLICATIONS, "--out", out, "--jobs", 2)
    proc = start(*args)
    wait_for_stored(out, 2, proc)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the main process and its workers
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    kept = sorted(int(path.stem.split("-")[1]) for path in stored(out))
    assert err.splitlines() == [f"interrupted: {len(kept)} of {SLOW_REPLICATIONS} replications are kept in {out}; "
                                f"run the same command to resume"], err
    assert len(kept) < SLOW_REPLICATIONS, "the run was interrupted part way"
    assert temporaries(out) == [] and not (out / "summary.csv").exists()
    again = cli(*args)
    assert again.returncode == 0, again.stderr
    assert json.loads((out / "run.json").read_text())["replications_resumed"] == kept
    assert_same_outputs(out, runs["slow_out"])
    assert_same_store(out, runs["slow_out"])


def test_workers_end_within_seconds_of_the_main_process_being_killed_and_write_nothing_after_it(runs, tmp_path):
    out = tmp_path / "out"
    proc = start("run", runs["slow"], "-r", 100, "--out", out, "--jobs", 2, "--patients")
    wait_for_stored(out, 1, proc)
    assert len(session(proc.pid)) >= 2, "the run has its workers"
    proc.kill()  # SIGKILL to the main process alone
    proc.wait()
    killed = time.time()
    before = files(out)
    while session(proc.pid) and time.time() - killed < 5:
        time.sleep(0.1)
    assert session(proc.pid) == [], "workers outlived their parent by 5 s"
    time.sleep(0.5)
    assert files(out) == before, "something was written after the main process was killed"


def test_a_bad_output_location_exits_2_naming_it_without_a_traceback(runs, tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("mine\n")
    a_folder = tmp_path / "a-folder"
    a_folder.mkdir()
    cases = {  # the command, and the message it must end with
        "--out an existing file": (("run", runs["scenario"], "--out", a_file), f"{a_file}: is a file, not a folder"),
        "--out under a file": (("run", runs["scenario"], "--out", a_file / "sub"),
                               f"{a_file}: is a file, not a folder (in the way of {a_file / 'sub'})"),
        "schema --out a folder": (("schema", "--out", a_folder), f"{a_folder}: is a folder, not a file"),
        "calibrate --out a folder": (("calibrate", EXAMPLE_LOG, "--out", a_folder), f"{a_folder}: is a folder, not a file"),
    }
    procs = {case: start(*args) for case, (args, _message) in cases.items()}
    for case, proc in procs.items():
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 2 and "Traceback" not in err, (case, err)
        assert err.splitlines()[-1] == cases[case][1], (case, err)
    assert a_file.read_text() == "mine\n" and list(a_folder.iterdir()) == []


class Tmpfs:
    """A small file system of the test's own, mounted for the test's length (root only)."""

    def __init__(self, where: Path, size: str):
        self.where = where
        where.mkdir()
        try:
            done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                                  capture_output=True, text=True)
        except FileNotFoundError:
            pytest.skip("cannot mount a tmpfs here: there is no mount command")
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (it needs root): {done.stderr.strip()}")

    def read_only(self) -> None:
        subprocess.run(["mount", "-o", "remount,ro", str(self.where)], check=True)

    def fill(self, leave: int) -> Path:
        """Fill the disk but ``leave`` bytes."""
        free = os.statvfs(self.where)
        filler = self.where / "filler"
        with open(filler, "wb") as handle:
            os.posix_fallocate(handle.fileno(), 0, free.f_bavail * free.f_frsize - leave)
        return filler

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.where)], capture_output=True)


def test_a_full_or_read_only_disk_exits_2_and_the_folder_keeps_the_previous_run(runs, tmp_path):
    disk = Tmpfs(tmp_path / "disk", "24m")
    try:
        out = disk.where / "out"
        shutil.copytree(runs["calls"], out)  # the previous run: 4 replications
        previous = {name: (out / name).read_bytes() for name in ("summary.csv", "utilisation.csv", "run.json",
                                                                 "report.html", "patients.parquet")}
        args = ("run", runs["scenario"], "--jobs", 1, "--patients", "-r", 5)

        filler = disk.fill(leave=1_000_000)  # room for a 5th replication, not for a report
        full = cli(*args, "--out", out)
        assert full.returncode == 2 and "Traceback" not in full.stderr, full.stderr
        assert re.fullmatch(rf"{re.escape(str(out))}/\S+: the disk is full", full.stderr.splitlines()[-1]), full.stderr
        assert temporaries(out) == []
        assert {name: (out / name).read_bytes() for name in previous} == previous  # all of them say 4, as before

        filler.unlink()
        disk.read_only()
        for folder in (out, disk.where / "new"):
            refused = cli(*args, "--out", folder)
            assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
            assert refused.stderr.splitlines()[-1] == f"{folder}: the file system is read-only", refused.stderr
        assert {name: (out / name).read_bytes() for name in previous} == previous
    finally:
        disk.unmount()


def test_every_kind_of_unwritable_place_is_an_output_error_and_other_errors_are_not():
    for code in (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
        assert output_error(OSError(code, os.strerror(code)), "here") is not None
    assert output_error(OSError(errno.EIO, "io"), "here") is None  # not about the place: an internal error


def test_a_stored_replication_whose_contents_changed_fails_its_checksum(runs, tmp_path):
    path = tmp_path / "replication-00000.npz"
    with np.load(runs["calls"] / ".replications" / path.name) as data:
        meta, arrays = json.loads(str(data["meta"])), {name: data[name] for name in data.files if name != "meta"}
    identity = meta["identity"]
    assert read_stored(runs["calls"] / ".replications" / path.name, identity)["replication"] == 0
    arrays["stats"][0, 0] += 1  # one statistic changed, under the same identity and checksum
    np.savez(path, meta=np.array(json.dumps(meta)), **arrays)
    with pytest.raises(NotTheReplication, match="do not match its checksum"):
        read_stored(path, identity)
    with pytest.raises(NotTheReplication, match="holds replication 0 .* not replication 1 "):
        read_stored(runs["calls"] / ".replications" / path.name, {**identity, "replication": 1})


def test_outputs_staged_together_are_all_kept_or_all_left_as_they_were(tmp_path):
    (tmp_path / "summary.csv").write_text("previous\n")
    with pytest.raises(OSError):
        with staged(tmp_path) as stage:
            stage.path("summary.csv").write_text("new\n")
            raise OSError(errno.EIO, "the disk failed")  # not about the place: raised as it is
    assert (tmp_path / "summary.csv").read_text() == "previous\n" and temporaries(tmp_path) == []
    with staged(tmp_path) as stage:
        stage.path("summary.csv").write_text("new\n")
        stage.path("report.html").write_text("<p>new</p>\n")
    assert (tmp_path / "summary.csv").read_text() == "new\n" and temporaries(tmp_path) == []
