"""The local worker pool: processes that run replications for the main process.

Workers are light processes forked from a server of this package's own (:mod:`.worker_start`),
and are kept for the life of the process: an optimiser or a notebook that simulates many times
pays for starting them once.

A thread of each call's own hands each worker its tasks as soon as it is up and the next as soon
as it hands a result back, whatever this process is doing meanwhile (:class:`_Call`); each model
goes to each worker once per call, not with every task. Ctrl-C never reaches the
workers nor the server (it is blocked in them: the main process stops them), and a worker ends
as soon as the main process is gone, a kill -9 included: it watches a pipe only the main process
holds open. A worker that dies is an error naming it; after an error, Ctrl-C or a call left part
way, the workers still running are stopped (new ones are forked on the next call). At exit the
workers are stopped, and the server ends with them.
"""

from __future__ import annotations

import atexit
import collections
import itertools
import pickle
import queue
import signal
import threading
from multiprocessing import connection
from typing import Callable, Iterator

from ..model import Model
from .worker_process import PROTOCOL, Shared as _Shared, about_this_process, serve as _serve
from .worker_start import Process, ctrl_c_held, interpreter_lock_soon, start_soon

__all__ = ["WorkerDied", "about_this_process", "run", "start_soon", "worker_pids"]


class WorkerDied(RuntimeError):
    """A worker process ended while it was running a task (killed, or out of memory)."""


# ---------------------------------------------------------------------------------------------
# In the main process
# ---------------------------------------------------------------------------------------------
class _RemoteTraceback(Exception):
    def __str__(self) -> str:
        return f"\n\nIn the worker process:\n{self.args[0]}"


class _Worker:
    def __init__(self):
        here, there = connection.Pipe()
        self.process = Process(target=_serve, args=(there,), name="patientflow-worker", daemon=True)
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


class _Call:
    """One call's tasks, shared by this process and the workers. A thread of the call's own (the
    dispatcher) starts the workers the call still needs, gives each its first tasks as soon as it
    is up and its next as soon as it hands a result back, and puts each result in ``results``
    for this process to read between tasks of its own: no worker waits on this process, which may
    be busy with a long task of its own (or the caller with what it does with a result).

    A worker keeps a second task waiting in its pipe (so it never waits for the dispatcher
    either) only while more tasks are left than processes to run them: the last ones go to
    whichever process is free first, not behind a worker's running task."""

    DEPTH = 2

    def __init__(self, pool: "Pool", calls: list[tuple], helpers: int, here: bool, task: Callable):
        self.pool, self.task, self.helpers = pool, task, helpers
        self.todo = collections.deque(calls)
        self.processes = helpers + (1 if here else 0)
        self.results: "queue.SimpleQueue[bytes | BaseException]" = queue.SimpleQueue()
        self.generation, self.models = next(_generations), _Models()
        self.wake, self.waker = connection.Pipe(duplex=False)  # written to by stop()
        self.thread = threading.Thread(target=self._dispatch, name="patientflow-dispatch", daemon=True)

    def take(self) -> tuple | None:
        """The next call still to run, or None."""
        try:
            return self.todo.popleft()
        except IndexError:
            return None

    def _dispatch(self) -> None:
        given: dict[_Worker, int] = {}  # tasks sent to each worker and not yet answered
        try:
            for worker in self.pool.workers:
                self._stock(worker, given)
            missing = max(0, self.helpers - len(self.pool.workers))
            while True:
                busy = {w.conn: w for w, n in given.items() if n}
                if missing and self.todo:  # one at a time: those up are served in between
                    with ctrl_c_held(), interpreter_lock_soon():
                        worker = _Worker()
                    self.pool.workers.append(worker)
                    missing -= 1
                    self._stock(worker, given)
                    timeout = 0.0  # a look at what has come back, then the next worker
                elif busy:
                    timeout = None
                else:
                    return  # every task given has come back, and none is left to give
                for conn in connection.wait([*busy, self.wake], timeout):
                    if conn is self.wake:
                        return
                    worker = busy[conn]
                    try:
                        data = conn.recv_bytes()
                    except (EOFError, OSError):
                        raise worker.died() from None
                    given[worker] -= 1
                    self._stock(worker, given)  # its next task before this result is handed on
                    self.results.put(data)
        except BaseException as exc:  # noqa: BLE001  (raised in the call's own thread)
            self.results.put(exc)

    def _stock(self, worker: _Worker, given: dict) -> None:
        n = given.get(worker, 0)
        while n < self.DEPTH and (n == 0 or len(self.todo) > self.processes):
            call = self.take()
            if call is None:
                break
            try:
                worker.send(self.generation, self.models, self.task, call)
            except (EOFError, OSError):
                raise worker.died() from None
            n += 1
        given[worker] = n

    def next_result(self):
        """The next result a worker has handed back (waiting for it), or its error raised."""
        while True:
            try:
                item = self.results.get(timeout=0.2)  # a timeout: Ctrl-C is seen meanwhile
            except queue.Empty:
                if not self.thread.is_alive() and self.results.empty():
                    raise RuntimeError("the local workers stopped handing back results") from None
                continue
            if isinstance(item, BaseException):
                raise item
            return _result(item)

    def stop(self) -> None:
        if self.thread.is_alive():
            self.waker.send_bytes(b"")
            self.thread.join()
        self.wake.close()
        self.waker.close()


class Pool:
    """Local workers, started when first needed and kept between calls."""

    def __init__(self):
        self.workers: list[_Worker] = []
        self.lock = threading.Lock()  # one call at a time

    def run(self, calls: list[tuple], jobs: int, task: Callable, here: bool = False) -> Iterator:
        """``task(*call)`` for each call on up to ``jobs`` workers, each result as it comes.
        With ``here``, this process is one of the ``jobs``: it runs the first call and then
        any still left between results, while ``jobs - 1`` workers run the others (see
        :class:`_Call`); workers not yet running are started meanwhile, so no one waits for
        their start."""
        helpers = min(jobs, len(calls)) - (1 if here else 0)
        for gone in [w for i, w in enumerate(self.workers) if i >= helpers or not w.process.is_alive()]:
            gone.stop()  # fewer asked for than are running, or died while idle (nothing lost)
            self.workers.remove(gone)
        call = _Call(self, calls, helpers, here, task)
        mine = call.take() if here else None  # this process's first: taken before any worker's
        call.thread.start()
        done = False
        try:
            for _ in range(len(calls)):
                if mine is not None:
                    result, mine = task(*mine), None
                    yield result
                else:
                    yield call.next_result()
                if here and call.results.empty():
                    mine = call.take()  # nothing has come back: the next task is this process's own
            done = True
        finally:
            call.stop()
            if not done:  # Ctrl-C, an error, a dead worker or a caller that stopped: stop what still runs
                self.close()

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


def worker_pids() -> list[int]:
    """The process ids of the shared pool's live workers (none before the first parallel call)."""
    return _POOL.pids()
