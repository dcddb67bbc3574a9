"""Fitting duration distributions to recorded times, chosen by AIC.

Each candidate the scenario format knows — exponential, lognormal, gamma, and the normal
truncated at 0 — is fitted by maximum likelihood (scipy.stats), with right-censored times where a
step or a patience was still running when the log ended (or, for patience, when the patient was
served). The candidate with the lowest Akaike information criterion (AIC = 2k − 2 log L) is
chosen. Standard errors of the mean and sd come from the likelihood's curvature at its maximum
(the observed information, by finite differences), so they hold under censoring too.

Times recorded to the second can be 0; a 0 is read as half a second, so candidates that live
above 0 can be fitted. Times that are all the same to within a second are ``fixed``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

CANDIDATES = ("exponential", "lognormal", "gamma", "normal")
HALF_SECOND = 1 / 120  # minutes
MIN_EVENTS_TWO_PARAMETERS = 30


@dataclass
class Fit:
    """One candidate fitted to durations (minutes)."""

    name: str
    mean: float
    sd: float
    loglik: float
    k: int
    n: int  # completed times
    censored: int = 0
    se_mean: float = math.nan
    se_sd: float = math.nan
    ks: float = math.nan  # Kolmogorov-Smirnov D of the completed times (no censoring only)
    ks_p: float = math.nan
    params: tuple = field(default=(), repr=False)

    @property
    def aic(self) -> float:
        return 2 * self.k - 2 * self.loglik

    def text(self) -> str:
        """As a scenario writes it: ``lognormal(mean 12.3min, sd 4.56min)``."""
        if self.name == "fixed":
            return f"fixed({rounded(self.mean)}min)"
        if self.name == "exponential":
            return f"exponential(mean {rounded(self.mean)}min)"
        if self.name == "normal":  # the parameters of the normal before truncation at 0
            return f"normal(mean {rounded(self.params[0])}min, sd {rounded(math.exp(self.params[1]))}min)"
        return f"{self.name}(mean {rounded(self.mean)}min, sd {rounded(self.sd)}min)"


def rounded(value: float) -> str:
    """Four significant figures, no exponent."""
    if value == 0:
        return "0"
    digits = max(0, 3 - int(math.floor(math.log10(abs(value)))))
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"


def _logpdf_logsf(name: str, theta: np.ndarray, x: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Log density of the completed times and log survival of the censored ones, in closed form."""
    from scipy import special
    if name == "exponential":
        mean = math.exp(theta[0])
        return -math.log(mean) - x / mean, -c / mean
    if name == "lognormal":
        mu, sigma = theta[0], math.exp(theta[1])
        z = (np.log(x) - mu) / sigma
        return (-np.log(x * sigma * math.sqrt(2 * math.pi)) - z * z / 2,
                special.log_ndtr(-(np.log(c) - mu) / sigma) if c.size else c)
    if name == "gamma":
        a, scale = math.exp(theta[0]), math.exp(theta[1])
        return ((a - 1) * np.log(x) - x / scale - special.gammaln(a) - a * math.log(scale),
                np.log(special.gammaincc(a, c / scale)) if c.size else c)
    mu, sigma = theta[0], math.exp(theta[1])  # the normal truncated at 0
    kept = special.log_ndtr(mu / sigma)
    z = (x - mu) / sigma
    return (-z * z / 2 - math.log(sigma * math.sqrt(2 * math.pi)) - kept,
            special.log_ndtr(-(c - mu) / sigma) - kept if c.size else c)


def _cdf(name: str, theta: np.ndarray):
    from scipy import special
    if name == "exponential":
        return lambda v: 1 - np.exp(-np.asarray(v) / math.exp(theta[0]))
    if name == "lognormal":
        return lambda v: special.ndtr((np.log(np.asarray(v)) - theta[0]) / math.exp(theta[1]))
    if name == "gamma":
        return lambda v: special.gammainc(math.exp(theta[0]), np.asarray(v) / math.exp(theta[1]))
    mu, sigma = theta[0], math.exp(theta[1])
    return lambda v: (special.ndtr((np.asarray(v) - mu) / sigma) - special.ndtr(-mu / sigma)) / special.ndtr(mu / sigma)


def _start(name: str, x: np.ndarray) -> np.ndarray:
    """Closed-form (or scipy) estimates from the completed times: a starting point."""
    from scipy import stats
    if name == "exponential":
        return np.array([math.log(x.mean())])
    if name == "lognormal":
        logs = np.log(x)
        return np.array([logs.mean(), math.log(max(logs.std(), 1e-6))])
    if name == "gamma":
        a, _, scale = stats.gamma.fit(x, floc=0)
        return np.array([math.log(a), math.log(scale)])
    return np.array([x.mean(), math.log(max(x.std(), 1e-6))])


def _moments(name: str, theta: np.ndarray) -> tuple[float, float]:
    if name == "exponential":
        mean = math.exp(theta[0])
        return mean, mean
    if name == "lognormal":
        mu, s2 = theta[0], math.exp(2 * theta[1])
        mean = math.exp(mu + s2 / 2)
        return mean, mean * math.sqrt(math.expm1(s2))
    if name == "gamma":
        a, scale = math.exp(theta[0]), math.exp(theta[1])
        return a * scale, math.sqrt(a) * scale
    from scipy import special
    mu, sigma = theta[0], math.exp(theta[1])
    alpha = -mu / sigma
    lam = math.exp(-alpha * alpha / 2 - 0.5 * math.log(2 * math.pi) - special.log_ndtr(-alpha))
    return mu + sigma * lam, sigma * math.sqrt(max(1 + alpha * lam - lam * lam, 0.0))


def _nll(name: str, theta: np.ndarray, x: np.ndarray, c: np.ndarray) -> float:
    with np.errstate(all="ignore"):
        try:
            done, running = _logpdf_logsf(name, theta, x, c)
        except (ValueError, OverflowError):
            return math.inf
        value = -float(np.sum(done)) - float(np.sum(running))
    return value if math.isfinite(value) else math.inf


def fit_one(name: str, x: np.ndarray, c: np.ndarray) -> Fit | None:
    """Maximum likelihood fit of one candidate; None when it does not converge."""
    from scipy import optimize
    theta = _start(name, x)
    if name == "exponential" and c.size:
        theta = np.array([math.log((x.sum() + c.sum()) / x.size)])  # the censored MLE in closed form
    elif c.size or name == "normal":
        with np.errstate(all="ignore"):
            found = optimize.minimize(lambda t: _nll(name, t, x, c), theta, method="Nelder-Mead",
                                      options={"xatol": 1e-6, "fatol": 1e-7, "maxiter": 2000})
        theta = found.x
    nll = _nll(name, theta, x, c)
    if not math.isfinite(nll):
        return None
    if name == "normal" and theta[0] < math.exp(theta[1]):
        return None  # mostly below 0: not a useful truncated normal (and slow to draw from)
    mean, sd = _moments(name, theta)
    se_mean, se_sd = _standard_errors(name, theta, x, c)
    return Fit(name, mean, sd, -nll, len(theta), int(x.size), int(c.size), se_mean, se_sd,
               params=tuple(float(v) for v in theta))


def _standard_errors(name: str, theta: np.ndarray, x: np.ndarray, c: np.ndarray) -> tuple[float, float]:
    """SEs of (mean, sd) from the inverse observed information, by the delta method."""
    k = len(theta)
    h = 1e-4 * np.maximum(1.0, np.abs(theta))
    f0 = _nll(name, theta, x, c)
    hess = np.zeros((k, k))
    with np.errstate(all="ignore"):
        for i in range(k):
            for j in range(i, k):
                ei, ej = np.eye(k)[i] * h[i], np.eye(k)[j] * h[j]
                if i == j:
                    value = (_nll(name, theta + ei, x, c) - 2 * f0 + _nll(name, theta - ei, x, c)) / h[i] ** 2
                else:
                    value = (_nll(name, theta + ei + ej, x, c) - _nll(name, theta + ei - ej, x, c)
                             - _nll(name, theta - ei + ej, x, c) + _nll(name, theta - ei - ej, x, c)) / (4 * h[i] * h[j])
                hess[i, j] = hess[j, i] = value
        try:
            cov = np.linalg.inv(hess)
        except np.linalg.LinAlgError:
            return math.nan, math.nan
        jac = np.zeros((2, k))
        for i in range(k):
            e = np.eye(k)[i] * h[i]
            hi, lo = _moments(name, theta + e), _moments(name, theta - e)
            jac[:, i] = (np.array(hi) - np.array(lo)) / (2 * h[i])
        var = np.diag(jac @ cov @ jac.T)
    return tuple(float(math.sqrt(v)) if v >= 0 else math.nan for v in var)  # type: ignore[return-value]


def fit_durations(values, censored=(), candidates=CANDIDATES) -> list[Fit]:
    """Every candidate fitted to ``values`` (completed times, minutes) and ``censored`` (times
    still running when last seen), best (lowest AIC) first. Times alike to within a second give
    one ``fixed`` fit."""
    from scipy import stats

    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    c = np.asarray(censored, dtype=float)
    c = c[np.isfinite(c) & (c > 0)]
    if x.size == 0:
        return []
    if x.size >= 2 and np.ptp(x) <= 1 / 60 + 1e-9 and (not c.size or c.max() <= x.max() + 1 / 60):
        mean = float(x.mean())
        return [Fit("fixed", mean, 0.0, math.inf, 0, int(x.size), int(c.size), 0.0, 0.0)]
    x = np.maximum(x, HALF_SECOND)
    events = x.size
    fits = []
    for name in candidates:
        if name != "exponential" and events < MIN_EVENTS_TWO_PARAMETERS:
            continue
        fit = fit_one(name, x, c)
        if fit is None:
            continue
        if not c.size:
            fit.ks, fit.ks_p = (float(v) for v in stats.kstest(x, _cdf(name, np.asarray(fit.params))))
        fits.append(fit)
    return sorted(fits, key=lambda f: f.aic)

