"""Buy-till-you-die models fitted by maximum likelihood: BG/NBD (Fader, Hardie & Lee 2005, "Counting Your
Customers the Easy Way") and Gamma-Gamma spend (Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-value
Curves for Customer Base Analysis"; the likelihood of Fader & Hardie's note "The Gamma-Gamma Model of
Monetary Value", 2013).

Inputs follow the literature's summary convention, in one time unit (days here, weeks in CDNOW):
``frequency`` x = repeat purchase periods, ``recency`` t_x = first to last purchase, ``age`` T = first purchase
to the end of observation, ``monetary`` = mean value of the repeat purchases.

The fits maximise the published log-likelihoods over log-parameters with scipy's L-BFGS-B (bounded, so the
parameters stay positive) from several starting points; the best optimum wins.
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


def bgnbd_log_likelihood(params, frequency, recency, age) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (Fader, Hardie & Lee 2005, equation 6)."""
    r, alpha, a, b = params
    x, tx, t = _as_arrays(frequency, recency, age)
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.betaln(a, b + x) - special.betaln(a, b)
    a3 = -(r + x) * np.log(alpha + t)
    repeat = x > 0
    a4 = np.where(repeat, np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0)) - (r + x) * np.log(alpha + tx), -np.inf)
    return a1 + a2 + np.logaddexp(a3, a4)


def _fit(neg_ll, starts: list[np.ndarray]) -> tuple[np.ndarray, float, bool]:
    best = None
    for x0 in starts:
        res = optimize.minimize(neg_ll, x0, method="L-BFGS-B", bounds=[_LOG_BOUNDS] * len(x0),
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

    def neg_ll(log_params):
        value = -bgnbd_log_likelihood(np.exp(log_params), x, tx, t).sum()
        return value if np.isfinite(value) else 1e300

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


def gamma_gamma_log_likelihood(params, frequency, monetary) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood of the mean repeat spend (customers with frequency > 0)."""
    p, q, v = params
    x, m = _as_arrays(frequency, monetary)
    px = p * x
    return (special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q) + q * np.log(v)
            + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(x * m + v))


def fit_gamma_gamma(frequency, monetary) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma parameters (p, q, v) on customers with frequency > 0 and monetary > 0."""
    x, m = _as_arrays(frequency, monetary)
    keep = (x > 0) & (m > 0) & np.isfinite(m)
    x, m = x[keep], m[keep]
    if len(x) < 2:
        raise ValueError("Gamma-Gamma needs at least two customers with repeat purchases of positive value")

    def neg_ll(log_params):
        value = -gamma_gamma_log_likelihood(np.exp(log_params), x, m).sum()
        return value if np.isfinite(value) else 1e300

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


def predicted_clv(bg: BetaGeoFit, gg: GammaGammaFit, frequency, recency, age, monetary, *,
                  months: int, period_days: float = 365.25 / 12, monthly_discount_rate: float = 0.0,
                  periods_per_day: float = 1.0) -> np.ndarray:
    """Discounted expected value over ``months`` months: sum over months i of
    (E[purchases by the end of month i] - E[by the end of month i - 1]) x E[value] / (1 + d)^i."""
    value = gamma_gamma_expected_value(gg, frequency, monetary)
    total = np.zeros(len(np.asarray(frequency)))
    previous = np.zeros_like(total)
    for i in range(1, months + 1):
        horizon = i * period_days * periods_per_day
        cumulative = bgnbd_expected_purchases(bg, horizon, frequency, recency, age)
        total += (cumulative - previous) * value / (1 + monthly_discount_rate) ** i
        previous = cumulative
    return total


PREDICTION_COLUMNS = ["contact_id", "predicted_purchases", "p_alive", "expected_order_value", "predicted_clv",
                      "btyd_fit_status"]


def predict_customers(summary, *, clv_prediction_days: float = 90, clv_horizon_months: float = 12,
                      clv_monthly_discount_rate: float = 0.01, clv_min_customers: float = 20,
                      clv_min_repeat_customers: float = 5):
    """Predictions per customer from a daily BTYD summary (columns contact_id, btyd_frequency,
    btyd_recency_days, btyd_age_days, btyd_monetary_value): BG/NBD fitted on all customers, Gamma-Gamma on
    those with repeat purchase days of positive value. Returns PREDICTION_COLUMNS; predictions are null
    with a btyd_fit_status saying why when the data cannot support a fit."""
    import pandas as pd

    out = pd.DataFrame({"contact_id": summary["contact_id"].astype(str)}) if len(summary) else \
        pd.DataFrame({"contact_id": pd.Series([], dtype=str)})
    for column in PREDICTION_COLUMNS[1:-1]:
        out[column] = np.nan
    out["btyd_fit_status"] = "fitted"
    if len(summary) == 0:
        return _typed(out)
    # a fixed row order makes the fit reproducible on every engine (float sums depend on the order)
    summary = summary.sort_values("contact_id", kind="stable").reset_index(drop=True)
    out = out.set_index("contact_id").loc[summary["contact_id"].astype(str)].reset_index()
    x = summary["btyd_frequency"].to_numpy(dtype=float)
    tx = summary["btyd_recency_days"].to_numpy(dtype=float)
    t = summary["btyd_age_days"].to_numpy(dtype=float)
    m = summary["btyd_monetary_value"].to_numpy(dtype=float)
    if len(x) < clv_min_customers:
        out["btyd_fit_status"] = "too_few_customers"
        return _typed(out)
    if int((x > 0).sum()) < clv_min_repeat_customers:
        out["btyd_fit_status"] = "too_few_repeat_customers"
        return _typed(out)
    bg = fit_bgnbd(x, tx, t)
    out["predicted_purchases"] = bgnbd_expected_purchases(bg, clv_prediction_days, x, tx, t)
    out["p_alive"] = bgnbd_p_alive(bg, x, tx, t)
    try:
        gg = fit_gamma_gamma(x, m)
    except ValueError:
        out["btyd_fit_status"] = "no_spend_model"
        return _typed(out)
    if gg.q <= 1:  # the population mean spend is infinite: no value prediction
        out["btyd_fit_status"] = "no_spend_model"
        return _typed(out)
    out["expected_order_value"] = gamma_gamma_expected_value(gg, x, m)
    out["predicted_clv"] = predicted_clv(bg, gg, x, tx, t, m, months=int(clv_horizon_months),
                                         monthly_discount_rate=clv_monthly_discount_rate)
    return _typed(out)


def _typed(out):
    """The prediction columns with explicit dtypes (an empty or all-null frame still has typed columns)."""
    types = {"contact_id": "string", "btyd_fit_status": "string"}
    types.update({c: "float64" for c in PREDICTION_COLUMNS[1:-1]})
    return out[PREDICTION_COLUMNS].astype(types)
