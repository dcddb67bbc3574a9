"""Exact results of queueing theory that the engine is tested against (tests/test_queueing.py).

Notation: arrival rate ``lam`` and service rate ``mu`` per minute, ``c`` servers, offered load
``a = lam / mu`` and utilisation ``rho = a / c``. Waits are waits in queue (before service).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


# ---------------------------------------------------------------- M/M/c (Erlang C)
def erlang_b(c: int, a: float) -> float:
    """Erlang's loss formula B(c, a), by the stable recursion B(k) = a B(k-1) / (k + a B(k-1))."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Erlang's delay formula: P(wait > 0) in M/M/c with offered load ``a < c``.

    C(c, a) = c B(c, a) / (c - a (1 - B(c, a)))  (e.g. Gross & Harris, Fundamentals of Queueing
    Theory, §2.3; Kleinrock, Queueing Systems I, eq. 3.40)."""
    if not 0 <= a < c:
        raise ValueError("M/M/c is stable only for a < c")
    b = erlang_b(c, a)
    return c * b / (c - a * (1 - b))


def mmc_wait_probability(lam: float, mu: float, c: int) -> float:
    """P(Wq > 0) = C(c, a)."""
    return erlang_c(c, lam / mu)


def mmc_mean_wait(lam: float, mu: float, c: int) -> float:
    """Wq = C(c, a) / (c mu - lam)."""
    return erlang_c(c, lam / mu) / (c * mu - lam)


def mmc_mean_queue(lam: float, mu: float, c: int) -> float:
    """Lq = lam Wq (Little's law) = C(c, a) rho / (1 - rho)."""
    return lam * mmc_mean_wait(lam, mu, c)


# ---------------------------------------------------------------- non-pre-emptive priority
def cobham_mean_waits(lams: list[float], mu: float, c: int) -> list[float]:
    """Mean wait in queue of each class of a non-pre-emptive priority M/M/c queue in which every
    class has the same exponential service rate ``mu``; ``lams`` from highest priority down,
    first come first served within a class (Cobham 1954, "Priority assignment in waiting line
    problems", Oper. Res. 2: 70-76; Gross & Harris §3.4.2):

        W_k = W0 / ((1 - s_{k-1}) (1 - s_k)),   s_k = sum_{i <= k} lam_i / (c mu),
        W0  = C(c, a) / (c mu)   (the mean time until some server frees, over all arrivals).
    """
    lam = sum(lams)
    w0 = erlang_c(c, lam / mu) / (c * mu)
    waits, s_prev = [], 0.0
    for lam_k in lams:
        s_k = s_prev + lam_k / (c * mu)
        waits.append(w0 / ((1 - s_prev) * (1 - s_k)))
        s_prev = s_k
    return waits


# ---------------------------------------------------------------- deterministic patience
def mm1_deterministic_patience_abandonment(lam: float, mu: float, tau: float) -> float:
    """Share of arrivals who abandon in M/M/1+D: FIFO, one server, and every customer leaves the
    queue once it has waited ``tau`` without starting service (any load, also lam >= mu).

    With theta = mu - lam and e = exp(-theta tau), rho = lam / mu:

        P(abandon) = rho (1 - rho) e / (1 - rho**2 e)     (rho != 1; its limit is 1 / (2 + mu tau))

    (Baccelli, Boyer & Hebuterne 1984, "Single-server queues with impatient customers", Adv.
    Appl. Prob. 16: 887-905; Zeltyn & Mandelbaum 2005, Queueing Systems 51, with n = 1.)
    Derivation: the offered wait V (work of the customers who will be served) has an atom
    P0 = P(V = 0) and density f(v) = lam P0 exp(-theta v) on (0, tau], f(tau) exp(-mu (v - tau))
    above, because an arrival adds an Exp(mu) service only if it will be served (V <= tau).
    Normalising gives P0 = (1 - rho) / (1 - rho**2 e), and by PASTA
    P(abandon) = P(V > tau) = f(tau) / mu = rho e P0.
    """
    rho = lam / mu
    theta = mu - lam
    if abs(theta) < 1e-12:
        return 1 / (2 + mu * tau)
    e = math.exp(-theta * tau)
    return rho * (1 - rho) * e / (1 - rho * rho * e)


def mm1_deterministic_patience_served_wait(lam: float, mu: float, tau: float) -> float:
    """Mean wait in queue of the customers who are served, in M/M/1+D (see above): the offered
    wait V of a served customer is its wait, so the mean is E[V; V <= tau] / P(V <= tau) with
    E[V; V <= tau] = lam P0 (1 - e (1 + theta tau)) / theta**2   (lam P0 tau**2 / 2 if theta = 0)."""
    rho = lam / mu
    theta = mu - lam
    if abs(theta) < 1e-12:
        p0 = 1 / (2 + lam * tau)
        part = lam * p0 * tau * tau / 2
    else:
        e = math.exp(-theta * tau)
        p0 = (1 - rho) / (1 - rho * rho * e)
        x = theta * tau
        if abs(x) < 1e-2:  # 1 - e (1 + x) = x^2/2 - x^3/3 + x^4/8 - x^5/30 + ..., without cancellation
            part = lam * p0 * tau * tau * (0.5 - x / 3 + x * x / 8 - x ** 3 / 30)
        else:
            part = lam * p0 * (1 - e * (1 + x)) / (theta * theta)
    return part / (1 - mm1_deterministic_patience_abandonment(lam, mu, tau))


# ---------------------------------------------------------------- statistics
def t_interval(values, confidence: float = 0.99) -> tuple[float, float, float]:
    """Mean of per-replication ``values`` and the two-sided Student-t interval: (mean, low, high)."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or values.size < 2 or not np.all(np.isfinite(values)):
        raise ValueError(f"need at least two finite per-replication values, got {values!r}")
    mean = float(values.mean())
    half = float(stats.t.ppf(0.5 + confidence / 2, values.size - 1) * values.std(ddof=1) / math.sqrt(values.size))
    return mean, mean - half, mean + half


def poisson_interval(mean: float, alpha: float) -> tuple[int, int]:
    """The counts k with P(X < low) <= alpha/2 and P(X > high) <= alpha/2 for X ~ Poisson(mean)."""
    return int(stats.poisson.ppf(alpha / 2, mean)), int(stats.poisson.isf(alpha / 2, mean))
