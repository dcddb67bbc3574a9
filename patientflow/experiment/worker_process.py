"""A worker process's side of the local pool (:mod:`.workers`): its loop, which runs each task
the main process sends and sends back the result or the error, and ends as soon as the main
process is gone."""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
import traceback

PROTOCOL = pickle.HIGHEST_PROTOCOL


class Shared:
    """Stands in a task's arguments for a model the worker already holds."""

    __slots__ = ("key",)

    def __init__(self, key: int):
        self.key = key


def serve(conn) -> None:
    """A worker's life: run each task the main process sends, send back its result or error."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.freeze()  # what the worker was forked with lives as long as it does: never passed over by the collector
    main = multiprocessing.parent_process()
    if main is not None:
        threading.Thread(target=_end_with, args=(main,), name="patientflow-main-watch", daemon=True).start()
    # tasks are read as they come, by a thread of their own, into an inbox: the main process may
    # send the next task while this one sends back a result, and neither then waits on the other
    # with a full pipe (a result and a model are larger than a pipe holds)
    inbox: "queue.Queue[bytes | None]" = queue.Queue()
    threading.Thread(target=_read, args=(conn, inbox), name="patientflow-inbox", daemon=True).start()
    models: dict[int, object] = {}
    generation = None
    while True:
        message = inbox.get()
        if message is None:
            return  # the main process closed the pool, or is gone
        try:
            gen, new, task, call = pickle.loads(message)
            if gen != generation:
                models.clear()
                generation = gen
            models.update((key, pickle.loads(data)) for key, data in new.items())
            call = [models[a.key] if isinstance(a, Shared) else a for a in call]
            reply = (True, task(*call))
        except BaseException as exc:  # noqa: BLE001  (handed back: the main process raises it)
            reply = (False, exc, traceback.format_exc())
        try:
            conn.send_bytes(_dumps(reply))
        except (EOFError, OSError):
            return
        reply = call = None  # nothing of this task kept while waiting for the next


def _read(conn, inbox) -> None:
    while True:
        try:
            inbox.put(conn.recv_bytes())
        except (EOFError, OSError):
            inbox.put(None)
            return


def _end_with(main) -> None:
    main.join()  # returns once the main process is gone: its results can no longer be used
    os._exit(1)


def _dumps(reply: tuple) -> bytes:
    try:
        return pickle.dumps(reply, protocol=PROTOCOL)
    except Exception as exc:  # noqa: BLE001  (an error or result that cannot be pickled)
        text = reply[2] if not reply[0] else ""
        return pickle.dumps((False, RuntimeError(f"a worker could not send back its result: {exc!r}"), text),
                            protocol=PROTOCOL)


def about_this_process(pause: float = 0.0) -> dict:
    """A task telling what the process that runs it is: its id, its parent's and the modules it
    has imported (after ``pause`` seconds: a task that takes time)."""
    if pause:
        import time
        time.sleep(pause)
    return {"pid": os.getpid(), "parent": os.getppid(), "modules": sorted(sys.modules)}
