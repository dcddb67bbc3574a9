"""How an overloaded replication is said: one sentence, on the terminal, in the report and in the
optimiser's outputs alike.

A replication stops early, as *overloaded*, once more patients are inside than its bound
(``run.max_inside``, see :func:`~patientflow.experiment.replications.inside_bound`): a queue
that grows without end. What it gives then is no steady state.
"""

from __future__ import annotations


def overload_text(replications: list[int], longest: list[str]) -> str:
    """``Replications 2, 5 stopped early: more patients inside than the bound — the system is
    overloaded. The longest queue: ward_bed (310 waiting).``"""
    numbers = ", ".join(map(str, replications))
    lead = f"Replication {numbers}" if len(replications) == 1 else f"Replications {numbers}"
    queue = f" The longest queue: {', '.join(longest)}." if longest else ""
    return f"{lead} stopped early: more patients inside than the bound — the system is overloaded.{queue}"
