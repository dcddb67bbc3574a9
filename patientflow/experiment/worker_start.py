"""Starting a worker process of the local pool (:mod:`.workers`), quickly and without side effects.

Workers are forked from a server process of this package's own that has imported the engine and
nothing else (numpy, SimPy, the engine and the measures: no pandas, scipy or plotly, and not the
script or command that started it, which a worker would otherwise import again, and run again if
it had no ``__main__`` guard). The server starts on a process's first parallel call, or earlier
(:func:`start_soon`), and takes a fraction of a second to import; a worker then starts in
milliseconds. Ctrl-C is held back while they start, so neither ever prints a traceback for it."""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import signal
import sys
import threading
from multiprocessing import util
from typing import Iterator

__all__ = ["Process", "ctrl_c_held", "interpreter_lock_soon", "server_pid", "start_soon"]

# what the server imports before forking workers: everything a replication needs
PRELOAD = ["patientflow.experiment.replications", "patientflow.experiment.cache", "patientflow.experiment.worker_process"]


# ---------------------------------------------------------------------------------------------
# Starting a worker: from our own fork server, without the main module
# ---------------------------------------------------------------------------------------------
try:
    from multiprocessing import context, forkserver, popen_forkserver, reduction, spawn
except ImportError:  # no fork server on this platform (Windows): fresh interpreters
    Process = multiprocessing.get_context("spawn").Process
else:
    _SERVER = forkserver.ForkServer()  # not the global one: its preload and its user are ours alone
    _SERVER.set_forkserver_preload(PRELOAD)

    class _Popen(popen_forkserver.Popen):
        def _launch(self, process_obj):
            """popen_forkserver.Popen._launch (the same in Python 3.10 to 3.13), from our server,
            and with the main module left out of what the worker prepares."""
            prep_data = spawn.get_preparation_data(process_obj._name)
            prep_data.pop("init_main_from_name", None)
            prep_data.pop("init_main_from_path", None)
            buf = io.BytesIO()
            context.set_spawning_popen(self)
            try:
                reduction.dump(prep_data, buf)
                reduction.dump(process_obj, buf)
            finally:
                context.set_spawning_popen(None)
            self.sentinel, w = _SERVER.connect_to_new_process(self._fds)
            # the worker's sign of this process's life (multiprocessing.parent_process() there)
            _parent_w = os.dup(w)
            self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
            with open(w, "wb", closefd=True) as f:
                f.write(buf.getbuffer())
            self.pid = forkserver.read_signed(self.sentinel)

    class Process(context.ForkServerProcess):
        @staticmethod
        def _Popen(process_obj):
            return _Popen(process_obj)


class ctrl_c_held:
    """Ctrl-C held back in this thread while workers (and the server) start: they start with it
    blocked (a blocked signal stays blocked in a new program), so none of them ever prints a
    traceback for it, not even while the server imports; a Ctrl-C meanwhile reaches this process
    once they have started. Where signals cannot be blocked (Windows), ignored instead, in the
    main thread."""

    def __enter__(self):
        self.blocked = self.ignored = None
        if hasattr(signal, "pthread_sigmask"):
            try:  # started first: starting it unblocks Ctrl-C in this thread
                from multiprocessing import resource_tracker
                resource_tracker.ensure_running()
            except ImportError:
                pass
            self.blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        elif threading.current_thread() is threading.main_thread():
            self.ignored = signal.signal(signal.SIGINT, signal.SIG_IGN)
        return self

    def __exit__(self, *exc) -> None:
        if self.blocked is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, self.blocked)
        if self.ignored is not None:
            signal.signal(signal.SIGINT, self.ignored)


@contextlib.contextmanager
def interpreter_lock_soon() -> Iterator[None]:
    """Starting a worker takes this thread through a few dozen system calls, after each of which
    it waits for the interpreter lock (the GIL) that this process's own task holds: up to the
    switch interval (5 ms) each: a start took 0.33 s instead of 0.26 s. The interval is shortened
    meanwhile, then put back."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, 0.0002))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def start_soon(jobs: int) -> None:
    """Start the server the workers are forked from now, when a call with ``jobs`` (0: every core)
    will need workers: it imports the engine (a fraction of a second) while this process goes
    on, e.g. reading the scenario files, instead of while it waits for its first workers."""
    if (jobs if jobs > 0 else (os.cpu_count() or 1)) > 1 and "_SERVER" in globals():
        with ctrl_c_held():
            _SERVER.ensure_running()


def server_pid() -> int | None:
    """The process id of the server workers are forked from (None before it has started)."""
    return _SERVER._forkserver_pid if "_SERVER" in globals() else None
