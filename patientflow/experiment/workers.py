"""The local worker pool: processes that run replications for the main process.

Workers are forked from a server process of this package's own that has imported the engine and
nothing else (numpy, SimPy, the engine and the measures: no pandas, scipy or plotly, and not the
script or command that started it, which a worker would otherwise import again, and run again if
it had no ``__main__`` guard). The server starts on a process's first parallel call and takes a
fraction of a second to import; a worker then starts in milliseconds, and the workers are kept
for the life of the process: an optimiser or a notebook that simulates many times pays for
starting them once.

A call hands each worker one task at a time and the next as soon as it hands a result back;
each model goes to each worker once per call, not with every task. Ctrl-C never reaches the
workers nor the server (it is blocked in them: the main process stops them), and a worker ends
as soon as the main process is gone, a kill -9 included: it watches a pipe only the main process
holds open. A worker that dies is an error naming it; after an error, Ctrl-C or a call left part
way, the workers still running are stopped (new ones are forked on the next call). At exit the
workers are stopped, and the server ends with them.
"""

from __future__ import annotations

import atexit
import collections
import io
import itertools
import multiprocessing
import os
import pickle
import queue
import signal
import threading
from multiprocessing import connection, util
from typing import Callable, Iterator

from ..model import Model
from .worker_process import PROTOCOL, Shared as _Shared, about_this_process, serve as _serve

__all__ = ["WorkerDied", "about_this_process", "run", "start_soon", "worker_pids"]

# what the server imports before forking workers: everything a replication needs
PRELOAD = ["patientflow.experiment.replications", "patientflow.experiment.cache", "patientflow.experiment.workers"]


class WorkerDied(RuntimeError):
    """A worker process ended while it was running a task (killed, or out of memory)."""


# ---------------------------------------------------------------------------------------------
# Starting a worker: from our own fork server, without the main module
# ---------------------------------------------------------------------------------------------
try:
    from multiprocessing import context, forkserver, popen_forkserver, reduction, spawn
except ImportError:  # no fork server on this platform (Windows): fresh interpreters
    _Process = multiprocessing.get_context("spawn").Process
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

    class _Process(context.ForkServerProcess):
        @staticmethod
        def _Popen(process_obj):
            return _Popen(process_obj)


class _ctrl_c_held:
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


# ---------------------------------------------------------------------------------------------
# In the main process
# ---------------------------------------------------------------------------------------------
class _RemoteTraceback(Exception):
    def __str__(self) -> str:
        return f"\n\nIn the worker process:\n{self.args[0]}"


class _Worker:
    def __init__(self):
        here, there = connection.Pipe()
        self.process = _Process(target=_serve, args=(there,), name="patientflow-worker", daemon=True)
        self.process.start()
        there.close()
        self.conn = here
        self.generation = None
        self.holds: set[int] = set()  # the keys of the models it holds, this generation

    def send(self, generation: int, models: "_Models", task: Callable, call: tuple) -> None:
        if self.generation != generation:
            self.generation, self.holds = generation, set()
        args, new = list(call), {}
        for i, value in enumerate(args):
            if isinstance(value, Model):
                key = models.key(value)
                if key not in self.holds:
                    new[key] = models.data(key)
                    self.holds.add(key)
                args[i] = _Shared(key)
        self.conn.send_bytes(pickle.dumps((generation, new, task, tuple(args)), protocol=PROTOCOL))

    def died(self) -> WorkerDied:
        self.process.join(2)
        code = self.process.exitcode
        if code is not None and code < 0:
            try:
                how = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
            if -code == signal.SIGKILL:
                how += ": out of memory, or killed from outside"
        else:
            how = "its pipe closed" if code is None else f"exit code {code}"
        return WorkerDied(f"worker process {self.process.pid} ended while running a replication ({how}); "
                          f"what it was running is lost")

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(5)
        self.conn.close()


class _Models:
    """The models of one call, each pickled once, when a worker first needs it."""

    def __init__(self):
        self.keys: dict[int, int] = {}
        self.pickled: dict[int, bytes] = {}
        self.objects: list[Model] = []  # held, so that no id is reused during the call

    def key(self, model: Model) -> int:
        if id(model) not in self.keys:
            self.keys[id(model)] = len(self.objects)
            self.objects.append(model)
        return self.keys[id(model)]

    def data(self, key: int) -> bytes:
        if key not in self.pickled:
            self.pickled[key] = pickle.dumps(self.objects[key], protocol=PROTOCOL)
        return self.pickled[key]


_generations = itertools.count()


class _Starting:
    """The workers a call needs beyond those running: started here at once, or (``in_thread``)
    in a thread while this process gets on with tasks of its own; ``ready()`` hands each over
    once, as it has started."""

    def __init__(self, pool: "Pool", wanted: int, in_thread: bool):
        self.pool = pool
        self.queue: "queue.Queue[_Worker | BaseException]" = queue.Queue()
        self.handed: set[int] = set()
        self.missing = max(0, wanted - len(pool.workers))
        self.thread = None
        if self.missing and in_thread:
            self.thread = threading.Thread(target=self._start, name="patientflow-workers-start", daemon=True)
            self.thread.start()
        elif self.missing:
            self._start()

    def _start(self) -> None:
        try:
            with _ctrl_c_held():
                for _ in range(self.missing):
                    self.queue.put(_Worker())
        except BaseException as exc:  # noqa: BLE001  (raised in the call's own thread)
            self.queue.put(exc)

    def _take(self, item) -> "_Worker":
        if isinstance(item, BaseException):
            raise item
        self.pool.workers.append(item)
        return item

    def ready(self) -> list["_Worker"]:
        """The workers started since the last look (all running ones, the first time)."""
        while True:
            try:
                self._take(self.queue.get_nowait())
            except queue.Empty:
                break
        fresh = [w for w in self.pool.workers if id(w) not in self.handed]
        self.handed.update(id(w) for w in fresh)
        return fresh

    def pending(self) -> bool:
        """Whether a worker may still come: the thread starting them still runs, or one it
        started has not been taken yet."""
        return (self.thread is not None and self.thread.is_alive()) or not self.queue.empty()

    def wait(self) -> None:
        """Until the next worker has started, or none can come any more."""
        while self.pending():
            try:
                self._take(self.queue.get(timeout=0.2))
                return
            except queue.Empty:
                continue

    def join(self) -> None:
        if self.thread is not None:
            self.thread.join()
            while not self.queue.empty():  # started after the call ended: kept for the next
                item = self.queue.get_nowait()
                if not isinstance(item, BaseException):
                    self.pool.workers.append(item)


class Pool:
    """Local workers, started when first needed and kept between calls."""

    def __init__(self):
        self.workers: list[_Worker] = []
        self.lock = threading.Lock()  # one call at a time

    def run(self, calls: list[tuple], jobs: int, task: Callable, here: bool = False) -> Iterator:
        """``task(*call)`` for each call on up to ``jobs`` workers, each result as it comes.
        With ``here``, this process is one of the ``jobs``: it runs tasks itself while
        ``jobs - 1`` workers run the others, each with a second task waiting in its pipe while
        that leaves this process one of its own (this process reads their results only between
        its own tasks, and would otherwise sit idle while a worker runs the last two in turn);
        workers not yet running are
        started meanwhile, in a thread, so no one waits for their start."""
        helpers = min(jobs, len(calls)) - (1 if here else 0)
        for gone in [w for i, w in enumerate(self.workers) if i >= helpers or not w.process.is_alive()]:
            gone.stop()  # fewer asked for than are running, or died while idle (nothing lost)
            self.workers.remove(gone)
        starting = _Starting(self, helpers, in_thread=here)
        generation, models = next(_generations), _Models()
        todo = collections.deque(calls)
        running: dict[object, _Worker] = {}
        given: dict[_Worker, int] = {}  # tasks sent to each worker and not yet answered
        depth = 2 if here else 1
        done = False
        try:
            while todo or running or starting.pending():
                for worker in starting.ready():
                    given.setdefault(worker, 0)
                for worker, n in given.items():  # keep each worker's pipe stocked
                    while n < depth and todo and (n == 0 or len(todo) > helpers):
                        self._give(worker, todo.popleft(), generation, models, task, running)
                        n += 1
                    given[worker] = n
                if here and todo:
                    yield task(*todo.popleft())
                    timeout = 0.0  # only what has already come back, then the next task here
                elif running:
                    timeout = None
                else:
                    starting.wait()  # nothing to do here but wait for a worker to start
                    continue
                for conn in connection.wait(list(running), timeout):
                    worker = running.pop(conn)
                    try:
                        data = conn.recv_bytes()
                    except (EOFError, OSError):
                        raise worker.died() from None
                    given[worker] -= 1
                    if given[worker] and not any(w is worker for w in running.values()):
                        running[conn] = worker  # its second task is still to come back
                    # the next task before this result is handed on; a second one waiting only
                    # while that leaves this process one of its own (or it would sit idle while
                    # the worker runs two in turn)
                    if todo and given[worker] < depth and (given[worker] == 0 or len(todo) > helpers):
                        self._give(worker, todo.popleft(), generation, models, task, running)
                        given[worker] += 1
                    yield _result(data)
            done = True
        finally:
            starting.join()
            if not done:  # Ctrl-C, an error, a dead worker or a caller that stopped: stop what still runs
                self.close()

    @staticmethod
    def _give(worker: _Worker, call: tuple, generation: int, models: _Models, task: Callable, running: dict) -> None:
        try:
            worker.send(generation, models, task, call)
        except (EOFError, OSError):
            raise worker.died() from None
        running[worker.conn] = worker

    def pids(self) -> list[int]:
        return [w.process.pid for w in self.workers if w.process.is_alive()]

    def close(self) -> None:
        workers, self.workers = self.workers, []
        for worker in workers:
            if worker.process.is_alive():
                worker.process.terminate()
        for worker in workers:
            worker.stop()


def _result(data: bytes):
    try:
        reply = pickle.loads(data)
    except Exception as exc:  # noqa: BLE001  (an error whose class cannot be rebuilt here)
        raise RuntimeError(f"could not read what a worker sent back: {exc!r}") from exc
    if reply[0]:
        return reply[1]
    error, text = reply[1], reply[2]
    if text:
        error.__cause__ = _RemoteTraceback(text)
    raise error


_POOL = Pool()
atexit.register(_POOL.close)


def run(calls: list[tuple], jobs: int, task: Callable, here: bool = False) -> Iterator:
    """``task(*call)`` for each call on ``jobs`` local workers (with ``here``, this process and
    ``jobs - 1`` workers), yielding the results as they complete. The workers are this
    process's shared pool (kept for the next call), or, when another thread is using it, a pool
    of this call's own."""
    if _POOL.lock.acquire(blocking=False):
        try:
            yield from _POOL.run(calls, jobs, task, here)
        finally:
            _POOL.lock.release()
        return
    own = Pool()
    try:
        yield from own.run(calls, jobs, task, here)
    finally:
        own.close()


def start_soon(jobs: int) -> None:
    """Start the server the workers are forked from now, when a call with ``jobs`` (0: every core)
    will need workers: it imports the engine (a fraction of a second) while this process goes
    on, e.g. reading the scenario files, instead of while it waits for its first workers."""
    if (jobs if jobs > 0 else (os.cpu_count() or 1)) > 1 and "_SERVER" in globals():
        with _ctrl_c_held():
            _SERVER.ensure_running()


def worker_pids() -> list[int]:
    """The process ids of the shared pool's live workers (none before the first parallel call)."""
    return _POOL.pids()
