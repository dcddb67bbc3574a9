"""The entry point: every command on the app; bad input, and an output that cannot be written,
exit 2 without a traceback; Ctrl-C exits 130 with one line saying what the run kept; anything
else unexpected exits 1."""

from __future__ import annotations

import signal
import sys

import typer

from . import data  # noqa: F401  (registers report-actual, calibrate and check-fit on the app)
from .app import BAD_INPUT, CtrlC, app
from ..experiment.output import OutputError
from ..experiment.store import Interrupted

__all__ = ["app", "main"]
INTERRUPTED = 130  # the shell's code for a program ended by Ctrl-C
TERMINATED = 143  # and by SIGTERM


def main() -> None:
    """Run the command line."""
    signal.signal(signal.SIGTERM, _terminated)  # a kill (not -9) ends as Ctrl-C does: no temporaries left
    try:
        app()  # usage errors exit 2, typer.Exit its own code
    except (CtrlC, KeyboardInterrupt) as exc:
        interrupt = exc.interrupt if isinstance(exc, CtrlC) else exc
        typer.echo(str(interrupt) if isinstance(interrupt, Interrupted) else "interrupted", err=True)
        sys.exit(INTERRUPTED)
    except OutputError as exc:
        typer.echo(str(exc), err=True)
        sys.exit(BAD_INPUT)
    except Exception as exc:
        import traceback
        traceback.print_exc()
        typer.echo(f"internal error: {exc}", err=True)
        sys.exit(1)


def _terminated(_signum, _frame) -> None:
    raise SystemExit(TERMINATED)
