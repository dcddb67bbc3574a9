"""The entry point: every command on the app; bad input exits 2 without a traceback, anything
else unexpected exits 1."""

from __future__ import annotations

import sys

import typer

from . import data  # noqa: F401  (registers report-actual, calibrate and check-fit on the app)
from .app import app

__all__ = ["app", "main"]


def main() -> None:
    """Run the command line."""
    try:
        app()  # usage errors exit 2, typer.Exit its own code
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        import traceback
        traceback.print_exc()
        typer.echo(f"internal error: {exc}", err=True)
        sys.exit(1)
