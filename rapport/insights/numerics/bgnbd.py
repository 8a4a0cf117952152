"""BG/NBD ("beta-geometric / negative binomial") model of repeat purchases: fit, P(alive), expected purchases.

Source: Fader, Hardie & Lee (2005) "'Counting your customers' the easy way: an alternative to the
Pareto/NBD model", *Marketing Science* 24(2):275-284, and the note Fader, Hardie & Lee (2008)
"Computing P(alive) using the BG/NBD model" (http://brucehardie.com/notes/021/).

The model. While active, a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha); after
each purchase the customer drops out with probability p ~ Beta(a, b). A customer is summarised by
(x, t_x, T): x repeat purchases, the last at t_x, observed for T since the first purchase.

Likelihood (FHL 2005, eq. 6), per customer::

    L = B(a, b + x) / B(a, b) * Gamma(r + x) alpha^r / (Gamma(r) (alpha + T)^(r + x))
      + [x > 0] B(a + 1, b + x - 1) / B(a, b) * Gamma(r + x) alpha^r / (Gamma(r) (alpha + t_x)^(r + x))

It is computed in logs (``gammaln``, ``betaln``) with the two terms joined by ``logaddexp``, so it stays
finite for large x and long histories. The maximum-likelihood fit runs L-BFGS-B over the logs of
(r, alpha, a, b) with the analytic gradient (derived below in ``_log_likelihood_terms``). Customers with
equal (x, t_x, T) are grouped and weighted by their count, which makes large fits cheap when summaries
repeat (every x = 0 customer with the same age is one row).

P(alive) (note 021, eq. 4): 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x)).

Expected purchases in the next t for a customer with (x, t_x, T) (FHL 2005, eq. 10)::

    E[Y(t) | x, t_x, T] = (a + b + x - 1) / (a - 1)
        * [1 - ((alpha + T) / (alpha + T + t))^(r + x) 2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t))]
        * P(alive)

Pfaff's transformation 2F1(A, B; C; z) = (1 - z)^-A 2F1(A, C - B; C; z / (z - 1)), applied once on each
upper parameter, turns the bracket into::

    1 - ((alpha + T) / (alpha + T + t))^(a - 1) 2F1(a + b - 1 - r, a - 1; a + b + x - 1; t / (alpha + T + t))

where only the lower parameter grows with x. The textbook form has both upper parameters growing with x,
and ``scipy.special.hyp2f1`` returns NaN for heavy buyers over long periods; this form is a short,
well-conditioned series for any x. Where it overflows instead (a large and t >> alpha + T: the power
underflows while the series diverges at z = 1), Euler's transformation of it,
((alpha + T) / (alpha + T + t))^r 2F1(r, b + x; a + b + x - 1; t / (alpha + T + t)), converges and is used.
Where ``hyp2f1`` fails on both (large x + r and b + x with t / (alpha + T + t) near 1 overflow its
transformations), the expectation is computed from its integral over the dropout probability by
Gauss-Jacobi quadrature (``_expected_given_alive_by_quadrature``). A new customer's E[X(t)] (eq. 9) is the
same expression with x = t_x = T = 0 and P(alive) = 1. At a = 1 there is a removable singularity, and
where r - a is whole ``hyp2f1`` takes a degenerate path that is wrong near z = 1; in both cases a is moved
by 1e-8 relative (a relative error of the same order in the result).

Time is in whatever unit the summaries use (CDNOW's published fit is in weeks); ``t`` must use it too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1, roots_jacobi

_LOG_BOUND = 15.0  # exp(+-15) bounds every parameter far outside any sensible fit
_A_NEAR_ONE = 1e-9  # how close to degenerate a (or r - a) counts as degenerate


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float

    def as_array(self) -> np.ndarray:
        return np.array([self.r, self.alpha, self.a, self.b])


@dataclass(frozen=True)
class BgNbdFit:
    params: BgNbdParams
    log_likelihood: float  # of all customers, at the fitted parameters
    customers: int
    distinct_summaries: int  # rows after grouping equal (x, t_x, T)
    iterations: int
    converged: bool


def _as_arrays(
    frequency: np.ndarray, recency: np.ndarray, age: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.asarray(frequency, dtype=np.float64)
    t_x = np.asarray(recency, dtype=np.float64)
    big_t = np.asarray(age, dtype=np.float64)
    return np.broadcast_arrays(x, t_x, big_t)  # type: ignore[return-value]


def check_summaries(frequency: np.ndarray, recency: np.ndarray, age: np.ndarray) -> None:
    """Raise ValueError unless x >= 0 is whole, 0 <= t_x <= T, and t_x = 0 where x = 0."""
    x, t_x, big_t = _as_arrays(frequency, recency, age)
    if np.any(x < 0) or np.any(x != np.floor(x)):
        raise ValueError("frequency must be whole numbers >= 0")
    if np.any(t_x < 0) or np.any(t_x > big_t):
        raise ValueError("recency must be between 0 and the age T")
    if np.any(t_x[x == 0] != 0):
        raise ValueError("recency must be 0 where frequency is 0")


def group_summaries(
    frequency: np.ndarray, recency: np.ndarray, age: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (x, t_x, T) rows and how many customers share each: (x, t_x, T, weights)."""
    x, t_x, big_t = _as_arrays(frequency, recency, age)
    rows, counts = np.unique(
        np.column_stack([x.ravel(), t_x.ravel(), big_t.ravel()]), axis=0, return_counts=True
    )
    return rows[:, 0], rows[:, 1], rows[:, 2], counts.astype(np.float64)


def _log_likelihood_terms(
    log_params: np.ndarray, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray, *, gradient: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-customer log-likelihood and, if asked, its gradient with respect to the log-parameters.

    With A = lnG(r+x) - lnG(r) + r ln(alpha), L1 = lnB(a, b+x) - lnB(a, b) - (r+x) ln(alpha+T) and
    L2 = lnB(a+1, b+x-1) - lnB(a, b) - (r+x) ln(alpha+t_x), ll = A + logaddexp(L1, L2) (A + L1 for x = 0).
    Each partial derivative is A' + w1 L1' + w2 L2' with w_i = exp(L_i - logaddexp(L1, L2)), using
    d lnB(u, v) / du = psi(u) - psi(u + v); the chain rule for log-parameters multiplies by the parameter.
    """
    r, alpha, a, b = np.exp(log_params)
    repeat = x > 0
    # L2 is only defined for x > 0; x = 1 stands in elsewhere and its weight is then zero.
    x2 = np.where(repeat, x, 1.0)
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    log_b = betaln(a, b)
    l1 = betaln(a, b + x) - log_b - (r + x) * np.log(alpha + big_t)
    l2 = betaln(a + 1, b + x2 - 1) - log_b - (r + x) * np.log(alpha + t_x)
    l2 = np.where(repeat, l2, -np.inf)
    mix = np.logaddexp(l1, l2)
    ll = head + mix
    if not gradient:
        return ll, None
    w1 = np.exp(l1 - mix)
    w2 = np.where(repeat, np.exp(np.where(repeat, l2, 0.0) - mix), 0.0)
    psi_ab, psi_abx = digamma(a + b), digamma(a + b + x)
    d_r = digamma(r + x) - digamma(r) + np.log(alpha) - w1 * np.log(alpha + big_t) - w2 * np.log(alpha + t_x)
    d_alpha = r / alpha - w1 * (r + x) / (alpha + big_t) - w2 * (r + x) / (alpha + t_x)
    d_a = w1 * (psi_ab - psi_abx) + w2 * (digamma(a + 1) - digamma(a) + psi_ab - psi_abx)
    d_b = w1 * (digamma(b + x) - psi_abx - digamma(b) + psi_ab) + w2 * (
        digamma(b + x2 - 1) - psi_abx - digamma(b) + psi_ab
    )
    grad = np.stack([d_r * r, d_alpha * alpha, d_a * a, d_b * b], axis=-1)
    return ll, grad


def log_likelihood(
    params: BgNbdParams, frequency: np.ndarray, recency: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """The log-likelihood of each customer's (x, t_x, T) under ``params`` (FHL 2005, eq. 6)."""
    x, t_x, big_t = _as_arrays(frequency, recency, age)
    ll, _ = _log_likelihood_terms(np.log(params.as_array()), x, t_x, big_t, gradient=False)
    return ll


def negative_log_likelihood(
    log_params: np.ndarray,
    frequency: np.ndarray,
    recency: np.ndarray,
    age: np.ndarray,
    weights: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """The weighted total negative log-likelihood and its gradient in log(r), log(alpha), log(a), log(b)."""
    x, t_x, big_t = _as_arrays(frequency, recency, age)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    ll, grad = _log_likelihood_terms(np.asarray(log_params, dtype=np.float64), x, t_x, big_t, gradient=True)
    assert grad is not None
    return -float(w @ ll), -(w @ grad)


def _starting_point(x: np.ndarray, big_t: np.ndarray, w: np.ndarray) -> np.ndarray:
    """r = 1 and alpha = T / (mean x + 1) put the Gamma's mean rate at the observed purchase rate per
    unit of time (which makes the start independent of the time unit); a = b = 1 is a uniform dropout."""
    mean_x = float(w @ x) / float(w.sum())
    mean_t = float(w @ big_t) / float(w.sum())
    return np.log(np.array([1.0, max(mean_t / (mean_x + 1.0), 1e-3), 1.0, 1.0]))


def fit(
    frequency: np.ndarray,
    recency: np.ndarray,
    age: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    group: bool = True,
    tol: float = 1e-10,
    max_iterations: int = 1000,
) -> BgNbdFit:
    """Maximum-likelihood BG/NBD parameters for the customers' (x, t_x, T).

    ``weights`` counts customers per row (defaults to one each); with ``group`` equal rows are merged
    first. The optimiser works on the mean log-likelihood per customer so that its tolerances mean the
    same for 2,000 customers and for a million.
    """
    check_summaries(frequency, recency, age)
    x, t_x, big_t = _as_arrays(frequency, recency, age)
    x, t_x, big_t = x.ravel(), t_x.ravel(), big_t.ravel()
    customers = len(x) if weights is None else float(np.sum(weights))
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64).ravel()
    elif group:
        x, t_x, big_t, w = group_summaries(x, t_x, big_t)
    else:
        w = np.ones_like(x)
    total = float(w.sum())

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = negative_log_likelihood(theta, x, t_x, big_t, w)
        return value / total, grad / total

    result = minimize(
        objective,
        _starting_point(x, big_t, w),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 4,
        options={"ftol": tol, "gtol": tol, "maxiter": max_iterations},
    )
    r, alpha, a, b = np.exp(result.x)
    return BgNbdFit(
        params=BgNbdParams(r=float(r), alpha=float(alpha), a=float(a), b=float(b)),
        log_likelihood=-float(result.fun) * total,
        customers=int(customers),
        distinct_summaries=len(x),
        iterations=int(result.nit),
        converged=bool(result.success),
    )


def probability_alive(
    params: BgNbdParams, frequency: np.ndarray, recency: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """P(alive | x, t_x, T): exactly 1 for x = 0 (no repeat purchase yet means no chance to drop out)."""
    x, t_x, big_t = _as_arrays(frequency, recency, age)
    r, alpha, a, b = params.as_array()
    repeat = x > 0
    x2 = np.where(repeat, x, 1.0)
    log_odds_dead = np.log(a) - np.log(b + x2 - 1) + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
    return np.where(repeat, expit(-log_odds_dead), 1.0)


def _a_off_one(a: float, r: float) -> float:
    """a, moved by 1e-8 relative where the closed forms are degenerate: at a = 1 (0 / 0), and where r - a
    is a whole number, which makes c - a - b of the 2F1s whole; ``scipy.special.hyp2f1`` then takes a
    special-case path that returns wrong finite values near z = 1 (found by the hypothesis tests)."""
    gap = r - a
    if abs(a - 1.0) < _A_NEAR_ONE or abs(gap - round(gap)) < _A_NEAR_ONE:
        return a + 1e-8 * max(1.0, a)
    return a


def _discounted_2f1(
    params: BgNbdParams, a: float, x: np.ndarray, base: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """(base / (base + t))^(r + x) 2F1(r + x, b + x; a + b + x - 1; t / (base + t)), in the stable forms.

    First form: (base / (base + t))^(a - 1) 2F1(a + b - 1 - r, a - 1; c; z) (two Pfaff transformations).
    Where that overflows (a large and t >> base: the power underflows while the series diverges at z = 1
    as (1 - z)^(r - a + 1)), Euler's transformation of it, (base / (base + t))^r 2F1(r, b + x; c; z),
    converges at z = 1 instead and is used.
    """
    r, b = params.r, params.b
    c = a + b + x - 1.0
    ratio = base / (base + t)
    z = t / (base + t)
    with np.errstate(all="ignore"):
        value = np.asarray(ratio ** (a - 1.0) * hyp2f1(a + b - 1.0 - r, a - 1.0, c, z), dtype=np.float64)
        bad = ~np.isfinite(value)
        if np.any(bad):
            shape = value.shape
            ratio_b, z_b, x_b, c_b = (np.broadcast_to(v, shape)[bad] for v in (ratio, z, x, c))
            value = value.copy()
            value[bad] = ratio_b**r * hyp2f1(r, b + x_b, c_b, z_b)
    return value


def _expected_given_alive_by_quadrature(
    params: BgNbdParams, a: float, x: float, base: float, t: float, nodes: int = 96
) -> float:
    """E[Y(t) | alive] as an integral over the dropout probability, for where ``hyp2f1`` gives up.

    Given alive, lambda ~ Gamma(r + x, base) and p ~ Beta(a, b + x) independently, and a customer with
    (lambda, p) makes (1 - exp(-lambda p t)) / p purchases in t on average; integrating lambda out leaves
    E over p of (1 - (1 + p t / base)^-(r + x)) / p, a smooth integrand taken by Gauss-Jacobi quadrature
    on the Beta weight.
    """
    k, s = params.r + x, t / base
    with np.errstate(over="ignore", invalid="ignore"):
        u, w = roots_jacobi(nodes, params.b + x - 1.0, a - 1.0)
    if not (np.all(np.isfinite(w)) and np.all(np.isfinite(u))):
        # A huge b + x (a degenerate fit at the parameter bounds) overflows the Jacobi weights; then p is
        # almost surely tiny, and (1 - (1 + p s)^-k) / p tends to k s as p goes to 0: no dropout within t.
        return float(k * s)
    p = (1.0 + u) / 2.0
    g = -np.expm1(-k * np.log1p(p * s)) / p
    return float(w @ g / w.sum())


def expected_purchases(
    params: BgNbdParams, t: float | np.ndarray, frequency: np.ndarray, recency: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: each customer's expected repeat purchases in the next ``t`` (FHL 2005, eq. 10)."""
    x, t_x, big_t = _as_arrays(frequency, recency, age)
    t_arr = np.asarray(t, dtype=np.float64)
    a = _a_off_one(params.a, params.r)
    base = params.alpha + big_t
    with np.errstate(invalid="ignore", over="ignore"):  # non-finite values go to the quadrature below
        given_alive = (
            (a + params.b + x - 1.0) / (a - 1.0) * (1.0 - _discounted_2f1(params, a, x, base, t_arr))
        )
    bad = ~np.isfinite(given_alive)
    if np.any(bad):
        shape = np.shape(given_alive)
        flat = np.array(given_alive, dtype=np.float64).reshape(-1)
        xs, bases, ts = (np.broadcast_to(v, shape).reshape(-1) for v in (x, base, t_arr))
        for i in np.flatnonzero(bad.reshape(-1)):
            flat[i] = _expected_given_alive_by_quadrature(
                params, a, float(xs[i]), float(bases[i]), float(ts[i])
            )
        given_alive = flat.reshape(shape)
    expected = given_alive * probability_alive(params, x, t_x, big_t)
    return np.where(t_arr == 0, 0.0, np.maximum(expected, 0.0))


def expected_purchases_new_customer(params: BgNbdParams, t: float | np.ndarray) -> np.ndarray:
    """E[X(t)]: expected purchases of a customer picked at random, in a period of length ``t`` (eq. 9).

    A customer seen at their first purchase (x = t_x = T = 0) has exactly the population's expectation."""
    zero = np.zeros_like(np.asarray(t, dtype=np.float64))
    return expected_purchases(params, t, zero, zero, zero)


def simulate(
    params: BgNbdParams, ages: np.ndarray, *, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw (x, t_x) for customers observed for ``ages`` from the BG/NBD generative process.

    Each customer gets lambda ~ Gamma(r, 1/alpha) and p ~ Beta(a, b); purchases arrive with exponential
    gaps and after each the customer drops out with probability p. Vectorised over customers: every round
    draws one more gap for those still alive and inside their window.
    """
    big_t = np.asarray(ages, dtype=np.float64)
    n = len(big_t)
    rate = rng.gamma(params.r, 1.0 / params.alpha, size=n)
    dropout = rng.beta(params.a, params.b, size=n)
    x = np.zeros(n, dtype=np.int64)
    t_x = np.zeros(n)
    now = np.zeros(n)
    active = np.flatnonzero(rate > 0)
    while active.size:
        now[active] += rng.exponential(1.0, size=active.size) / rate[active]
        inside = now[active] <= big_t[active]
        active = active[inside]
        x[active] += 1
        t_x[active] = now[active]
        active = active[rng.random(active.size) >= dropout[active]]
    return x, t_x
