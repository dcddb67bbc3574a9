"""Runs ``patientflow`` command lines for the hostile-input corpus, each in its own child process.

This process imports the command line once; every case is then a child forked from it, so a case
costs its own work, not the interpreter's start-up. For each case (one JSON object a line on
stdin: ``{"id", "argv", "cwd", "timeout"}``) it prints one JSON line: the exit code, the child's
standard output and error, its wall seconds, its peak resident memory (MiB, which counts the
pages it shares with this process, so it overstates the case's own use) and whether it was
killed at its time limit. The child has an address-space limit as a safety net for the machine.
A line ``{"warm": argv, "cwd"}`` runs a command here first, unforked and unreported, so that the
modules the commands import lazily are imported once, before the children.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import signal
import sys
import tempfile
import time
import traceback

import patientflow.cli.main as cli  # the entry point ``patientflow`` runs
import patientflow.scenario.scenario  # noqa: F401  (what every case uses, imported before forking)

SAFETY_NET = 6 * 2**30  # bytes of address space a case may map before it fails (to keep the machine)


def _child(case: dict, out_fd: int, err_fd: int) -> None:
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    os.chdir(case["cwd"])
    resource.setrlimit(resource.RLIMIT_AS, (SAFETY_NET, SAFETY_NET))
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.argv = ["patientflow", *case["argv"]]
    code = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - a traceback is what the corpus looks for
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run(case: dict) -> dict:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        gc.freeze()  # the children never walk (and so never copy) what this process holds
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:
            _child(case, out.fileno(), err.fileno())
        killed = False
        while True:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() - start > case["timeout"]:
                os.kill(pid, signal.SIGKILL)
                done, status, usage = os.wait4(pid, 0)
                killed = True
                break
            time.sleep(0.005)
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        return {"id": case["id"], "code": os.waitstatus_to_exitcode(status), "seconds": seconds,
                "rss_mib": usage.ru_maxrss / 1024, "killed": killed,
                "stdout": out.read().decode("utf-8", "replace"), "stderr": err.read().decode("utf-8", "replace")}


def warm(case: dict) -> None:
    here = os.getcwd()
    saved = os.dup(1), os.dup(2)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        os.dup2(null.fileno(), 2)
        try:
            os.chdir(case["cwd"])
            sys.argv = ["patientflow", *case["warm"]]
            cli.main()
        except SystemExit:
            pass
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.chdir(here)


if __name__ == "__main__":
    for line in sys.stdin:
        if line.strip():
            case = json.loads(line)
            if "warm" in case:
                warm(case)
            else:
                print(json.dumps(run(case)), flush=True)
