"""Buy-till-you-die models fitted by maximum likelihood: BG/NBD (Fader, Hardie & Lee 2005, "Counting Your
Customers the Easy Way") and Gamma-Gamma spend (Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-value
Curves for Customer Base Analysis"; the likelihood of Fader & Hardie's note "The Gamma-Gamma Model of
Monetary Value", 2013).

Inputs follow the literature's summary convention, in one time unit (days here, weeks in CDNOW):
``frequency`` x = repeat purchase periods, ``recency`` t_x = first to last purchase, ``age`` T = first purchase
to the end of observation, ``monetary`` = mean value of the repeat purchases.

The fits maximise the published log-likelihoods over log-parameters with scipy's L-BFGS-B (bounded, so the
parameters stay positive) from several starting points; the best optimum wins. The likelihoods are summed over
the distinct summaries, each weighted by how many customers share it: on a daily grain most customers share
their summary with many others (every one-time buyer of the same day has x = 0, t_x = 0 and the same T), so a
fit evaluates a few thousand rows where the customer base has millions, and the distinct rows come sorted, so
the float sums (and the fit) do not depend on the order the customers arrive in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

_LOG_BOUNDS = (-10.0, 8.0)  # exp(8) ~ 3000: far beyond any useful value, and it stops ridge walks


@dataclass(frozen=True)
class BetaGeoFit:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n_customers: int
    converged: bool

    @property
    def params(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}


@dataclass(frozen=True)
class GammaGammaFit:
    p: float
    q: float
    v: float
    log_likelihood: float
    n_customers: int
    converged: bool

    @property
    def params(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "v": self.v}


def _as_arrays(*columns) -> list[np.ndarray]:
    return [np.asarray(c, dtype=float) for c in columns]


def distinct_rows(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """The distinct rows of equal-length float columns, sorted; how many input rows each stands for; and, for
    every input row, the index of its distinct row (so ``distinct[i][back]`` is column i again)."""
    if len(columns[0]) == 0:
        return [c[:0] for c in columns], np.zeros(0), np.zeros(0, dtype=np.intp)
    rows, back, counts = np.unique(np.column_stack(columns), axis=0, return_inverse=True, return_counts=True)
    return [rows[:, i] for i in range(rows.shape[1])], counts.astype(float), back.reshape(-1)


def check_summary(frequency, recency, age) -> None:
    """Raise ValueError naming the first row that breaks 0 <= recency <= age, frequency a whole number >= 0,
    recency 0 when frequency is 0."""
    x, tx, t = _as_arrays(frequency, recency, age)
    problems = [
        (x < 0) | (x != np.floor(x)), "frequency must be a whole number >= 0",
        (tx < 0) | (tx > t + 1e-9), "recency must be between 0 and age",
        (x == 0) & (tx != 0), "recency must be 0 when frequency is 0",
        ~np.isfinite(x + tx + t), "values must be finite",
    ]
    for mask, message in zip(problems[::2], problems[1::2], strict=True):
        bad = np.flatnonzero(mask)
        if len(bad):
            raise ValueError(f"BTYD summary row {int(bad[0])}: {message}")


def _bgnbd_terms(params, x: np.ndarray, tx: np.ndarray, t: np.ndarray):
    """Per-customer BG/NBD log-likelihood (Fader, Hardie & Lee 2005, equation 6), with the pieces its gradient
    reuses: the two terms of the final log-sum and what they are made of."""
    r, alpha, a, b = params
    repeat = x > 0
    b_x1 = np.where(repeat, b + x - 1, 1.0)
    log_alpha_t, log_alpha_tx = np.log(alpha + t), np.log(alpha + tx)
    a3 = -(r + x) * log_alpha_t
    a4 = np.where(repeat, np.log(a) - np.log(b_x1) - (r + x) * log_alpha_tx, -np.inf)
    tail = np.logaddexp(a3, a4)
    ll = (special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
          + special.betaln(a, b + x) - special.betaln(a, b) + tail)
    return ll, repeat, b_x1, log_alpha_t, log_alpha_tx, a3, a4, tail


def bgnbd_log_likelihood(params, frequency, recency, age) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (Fader, Hardie & Lee 2005, equation 6)."""
    return _bgnbd_terms(params, *_as_arrays(frequency, recency, age))[0]


def bgnbd_weighted_log_likelihood(params, frequency, recency, age, weight) -> tuple[float, np.ndarray]:
    """The weighted sum of the BG/NBD log-likelihoods and its gradient in (r, alpha, a, b), from the
    derivatives of equation 6: digamma for the gamma and beta functions, and the shares of the two terms of
    the log-sum for the last one."""
    r, alpha, a, b = params
    x, tx, t, w = _as_arrays(frequency, recency, age, weight)
    ll, repeat, b_x1, log_alpha_t, log_alpha_tx, a3, a4, tail = _bgnbd_terms(params, x, tx, t)
    share3, share4 = np.exp(a3 - tail), np.where(repeat, np.exp(a4 - tail), 0.0)
    psi_abx = special.digamma(a + b + x)
    gradient = np.array([
        (w * (special.digamma(r + x) - special.digamma(r) + np.log(alpha)
              - share3 * log_alpha_t - share4 * log_alpha_tx)).sum(),
        (w * (r / alpha - share3 * (r + x) / (alpha + t) - share4 * (r + x) / (alpha + tx))).sum(),
        (w * (special.digamma(a + b) - psi_abx + share4 / a)).sum(),
        (w * (special.digamma(b + x) - psi_abx - special.digamma(b) + special.digamma(a + b)
              - share4 / b_x1)).sum(),
    ])
    return float((w * ll).sum()), gradient


def _negative_in_logs(weighted_log_likelihood, *data):
    """The function L-BFGS-B minimises: minus the log-likelihood over log-parameters, with its gradient
    (d/d log p = p d/dp); a non-finite value becomes a huge one, so the line search backs off."""
    def objective(log_params):
        params = np.exp(log_params)
        value, gradient = weighted_log_likelihood(params, *data)
        if not (np.isfinite(value) and np.isfinite(gradient).all()):
            return 1e300, np.zeros_like(log_params)
        return -value, -gradient * params
    return objective


def _fit(neg_ll, starts: list[np.ndarray]) -> tuple[np.ndarray, float, bool]:
    best = None
    for x0 in starts:
        res = optimize.minimize(neg_ll, x0, jac=True, method="L-BFGS-B", bounds=[_LOG_BOUNDS] * len(x0),
                                options={"ftol": 1e-13, "gtol": 1e-8, "maxiter": 2000})
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    if best is None:
        raise ValueError("the likelihood is not finite at any starting point")
    return np.exp(best.x), float(-best.fun), bool(best.success)


def fit_bgnbd(frequency, recency, age) -> BetaGeoFit:
    """Maximum-likelihood BG/NBD parameters (r, alpha, a, b) for a customer summary."""
    check_summary(frequency, recency, age)
    x, tx, t = _as_arrays(frequency, recency, age)
    if len(x) == 0:
        raise ValueError("BG/NBD needs at least one customer")
    if not (x > 0).any():
        raise ValueError("BG/NBD needs at least one customer with a repeat purchase")
    scale = max(float(np.mean(t)), 1e-9)  # alpha starts near the mean age, in the data's unit
    (ux, utx, ut), weight, _ = distinct_rows(x, tx, t)
    neg_ll = _negative_in_logs(bgnbd_weighted_log_likelihood, ux, utx, ut, weight)
    starts = [np.log([s_r, scale * s_a, s_aa, s_b])
              for s_r, s_a, s_aa, s_b in ((1.0, 1.0, 1.0, 1.0), (0.3, 0.1, 0.8, 2.5), (2.0, 0.5, 0.5, 5.0))]
    (r, alpha, a, b), ll, ok = _fit(neg_ll, starts)
    return BetaGeoFit(float(r), float(alpha), float(a), float(b), ll, len(x), ok)


def _hyp2f1_term(fit: BetaGeoFit, x: np.ndarray, t_age: np.ndarray, horizon: np.ndarray) -> np.ndarray:
    z = horizon / (fit.alpha + t_age + horizon)
    return special.hyp2f1(fit.r + x, fit.b + x, fit.a + fit.b + x - 1, z)


def bgnbd_p_alive(fit: BetaGeoFit, frequency, recency, age) -> np.ndarray:
    """P(a customer with this history is still alive at the end of observation)."""
    x, tx, t = _as_arrays(frequency, recency, age)
    repeat = x > 0
    log_ratio = (fit.r + x) * (np.log(fit.alpha + t) - np.log(fit.alpha + tx))
    odds = np.where(repeat, fit.a / np.where(repeat, fit.b + x - 1, 1.0) * np.exp(np.minimum(log_ratio, 700)), 0.0)
    return 1.0 / (1.0 + odds)


def bgnbd_expected_purchases(fit: BetaGeoFit, horizon, frequency, recency, age) -> np.ndarray:
    """E[purchases in the next ``horizon`` periods | history] (Fader, Hardie & Lee 2005, equation 10)."""
    x, tx, t = _as_arrays(frequency, recency, age)
    h = np.broadcast_to(np.asarray(horizon, dtype=float), x.shape)
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    first = (a + b + x - 1) / (a - 1)
    second = 1 - np.power((alpha + t) / (alpha + t + h), r + x) * _hyp2f1_term(fit, x, t, h)
    repeat = x > 0
    log_ratio = (r + x) * (np.log(alpha + t) - np.log(alpha + tx))
    denominator = 1 + np.where(repeat, a / np.where(repeat, b + x - 1, 1.0) * np.exp(np.minimum(log_ratio, 700)), 0.0)
    return np.where(h > 0, first * second / denominator, 0.0)


def _gamma_gamma_terms(params, x: np.ndarray, m: np.ndarray):
    """Per-customer Gamma-Gamma log-likelihood, with p x and log(x m + v), which its gradient reuses."""
    p, q, v = params
    px = p * x
    log_total = np.log(x * m + v)
    ll = (special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q) + q * np.log(v)
          + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * log_total)
    return ll, px, log_total


def gamma_gamma_log_likelihood(params, frequency, monetary) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood of the mean repeat spend (customers with frequency > 0)."""
    return _gamma_gamma_terms(params, *_as_arrays(frequency, monetary))[0]


def gamma_gamma_weighted_log_likelihood(params, frequency, monetary, weight) -> tuple[float, np.ndarray]:
    """The weighted sum of the Gamma-Gamma log-likelihoods and its gradient in (p, q, v)."""
    p, q, v = params
    x, m, w = _as_arrays(frequency, monetary, weight)
    ll, px, log_total = _gamma_gamma_terms(params, x, m)
    psi_pxq = special.digamma(px + q)
    gradient = np.array([
        (w * x * (psi_pxq - special.digamma(px) + np.log(m) + np.log(x) - log_total)).sum(),
        (w * (psi_pxq - special.digamma(q) + np.log(v) - log_total)).sum(),
        (w * (q / v - (px + q) / (x * m + v))).sum(),
    ])
    return float((w * ll).sum()), gradient


def fit_gamma_gamma(frequency, monetary) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma parameters (p, q, v) on customers with frequency > 0 and monetary > 0."""
    x, m = _as_arrays(frequency, monetary)
    keep = (x > 0) & (m > 0) & np.isfinite(m)
    x, m = x[keep], m[keep]
    if len(x) < 2:
        raise ValueError("Gamma-Gamma needs at least two customers with repeat purchases of positive value")

    (ux, um), weight, _ = distinct_rows(x, m)
    neg_ll = _negative_in_logs(gamma_gamma_weighted_log_likelihood, ux, um, weight)
    mean = float(np.mean(m))
    starts = [np.log([s_p, s_q, mean * s_v]) for s_p, s_q, s_v in ((1.0, 1.0, 1.0), (6.0, 4.0, 0.5), (2.0, 3.0, 2.0))]
    (p, q, v), ll, ok = _fit(neg_ll, starts)
    return GammaGammaFit(float(p), float(q), float(v), ll, len(x), ok)


def gamma_gamma_expected_value(fit: GammaGammaFit, frequency, monetary) -> np.ndarray:
    """E[mean transaction value | x repeat purchases with mean m]; the population mean when x = 0."""
    x, m = _as_arrays(frequency, monetary)
    population = fit.p * fit.v / (fit.q - 1) if fit.q > 1 else np.nan
    weight = fit.p * x / (fit.p * x + fit.q - 1)
    return np.where(x > 0, (1 - weight) * population + weight * np.where(x > 0, m, 0.0), population)


def _discounted_purchases(bg: BetaGeoFit, x: np.ndarray, tx: np.ndarray, t: np.ndarray, *, months: int,
                          period_days: float = 365.25 / 12, monthly_discount_rate: float = 0.0,
                          periods_per_day: float = 1.0) -> np.ndarray:
    """Sum over months i of (E[purchases by the end of month i] - E[by the end of month i - 1]) / (1 + d)^i."""
    purchases = np.zeros(len(x))
    previous = np.zeros_like(purchases)
    for i in range(1, months + 1):
        horizon = i * period_days * periods_per_day
        cumulative = bgnbd_expected_purchases(bg, horizon, x, tx, t)
        purchases += (cumulative - previous) / (1 + monthly_discount_rate) ** i
        previous = cumulative
    return purchases


def predicted_clv(bg: BetaGeoFit, gg: GammaGammaFit, frequency, recency, age, monetary, *,
                  months: int, period_days: float = 365.25 / 12, monthly_discount_rate: float = 0.0,
                  periods_per_day: float = 1.0) -> np.ndarray:
    """Discounted expected value over ``months`` months: sum over months i of
    (E[purchases by the end of month i] - E[by the end of month i - 1]) x E[value] / (1 + d)^i.

    E[value] does not depend on the month, so the discounted purchases are summed first, once per distinct
    (frequency, recency, age): the hypergeometric function is the costly part."""
    x, tx, t = _as_arrays(frequency, recency, age)
    (ux, utx, ut), _, back = distinct_rows(x, tx, t)
    purchases = _discounted_purchases(bg, ux, utx, ut, months=months, period_days=period_days,
                                      monthly_discount_rate=monthly_discount_rate, periods_per_day=periods_per_day)
    return purchases[back] * gamma_gamma_expected_value(gg, x, monetary)


PREDICTION_COLUMNS = ["contact_id", "predicted_purchases", "p_alive", "expected_order_value", "predicted_clv",
                      "btyd_fit_status"]


def predict_customers(summary, *, clv_prediction_days: float = 90, clv_horizon_months: float = 12,
                      clv_monthly_discount_rate: float = 0.01, clv_min_customers: float = 20,
                      clv_min_repeat_customers: float = 5):
    """Predictions per customer from a daily BTYD summary (columns contact_id, btyd_frequency,
    btyd_recency_days, btyd_age_days, btyd_monetary_value): BG/NBD fitted on all customers, Gamma-Gamma on
    those with repeat purchase days of positive value. Returns PREDICTION_COLUMNS; predictions are null
    with a btyd_fit_status saying why when the data cannot support a fit.

    The fits and the predictions do not depend on the order of the rows: the likelihoods are summed over the
    sorted distinct summaries, and the purchase predictions are computed once per distinct summary."""
    import pandas as pd

    out = pd.DataFrame({"contact_id": summary["contact_id"].astype(str)}) if len(summary) else \
        pd.DataFrame({"contact_id": pd.Series([], dtype=str)})
    out = out.reset_index(drop=True)
    for column in PREDICTION_COLUMNS[1:-1]:
        out[column] = np.nan
    out["btyd_fit_status"] = "fitted"
    if len(summary) == 0:
        return _typed(out)
    x, tx, t, m = _as_arrays(summary["btyd_frequency"], summary["btyd_recency_days"], summary["btyd_age_days"],
                             summary["btyd_monetary_value"])
    if len(x) < clv_min_customers:
        out["btyd_fit_status"] = "too_few_customers"
        return _typed(out)
    if int((x > 0).sum()) < clv_min_repeat_customers:
        out["btyd_fit_status"] = "too_few_repeat_customers"
        return _typed(out)
    bg = fit_bgnbd(x, tx, t)
    (ux, utx, ut), _, back = distinct_rows(x, tx, t)
    out["predicted_purchases"] = bgnbd_expected_purchases(bg, clv_prediction_days, ux, utx, ut)[back]
    out["p_alive"] = bgnbd_p_alive(bg, ux, utx, ut)[back]
    try:
        gg = fit_gamma_gamma(x, m)
    except ValueError:
        out["btyd_fit_status"] = "no_spend_model"
        return _typed(out)
    if gg.q <= 1:  # the population mean spend is infinite: no value prediction
        out["btyd_fit_status"] = "no_spend_model"
        return _typed(out)
    value = gamma_gamma_expected_value(gg, x, m)
    out["expected_order_value"] = value
    # predicted_clv, on the distinct summaries already at hand
    out["predicted_clv"] = _discounted_purchases(bg, ux, utx, ut, months=int(clv_horizon_months),
                                                 monthly_discount_rate=clv_monthly_discount_rate)[back] * value
    return _typed(out)


def _typed(out):
    """The prediction columns with explicit dtypes (an empty or all-null frame still has typed columns)."""
    types = {"contact_id": "string", "btyd_fit_status": "string"}
    types.update({c: "float64" for c in PREDICTION_COLUMNS[1:-1]})
    return out[PREDICTION_COLUMNS].astype(types)
