"""The numerical models: Markov removal effects worked by hand, BG/NBD and Gamma-Gamma on CDNOW."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics import btyd, markov

DATA = Path(__file__).parent / "data"


# ---------------------------------------------------------------- Markov
# Four paths over three channels, worked by hand (docs/attribution.md shows the same example):
#   A > B > conversion, B > conversion, A > C > null, C > conversion
# P(start->A) = 1/2, P(start->B) = P(start->C) = 1/4; A -> B or C 1/2 each; B -> conversion 1;
# C -> conversion or null 1/2 each.
# P(conversion) = 1/2 (1/2 + 1/2 x 1/2) + 1/4 + 1/4 x 1/2 = 3/4
# without A: 1/4 + 1/8 = 3/8          RE(A) = 1 - (3/8)/(3/4) = 1/2
# without B: 1/2 (1/2 x 1/2) + 1/8 = 1/4   RE(B) = 2/3
# without C: 1/2 x 1/2 + 1/4 = 1/2    RE(C) = 1/3
# shares: RE / (1/2 + 2/3 + 1/3) = 1/3, 4/9, 2/9
HAND_PATHS = [(["A", "B"], True), (["B"], True), (["A", "C"], False), (["C"], True)]


def test_three_channel_removal_effects_match_the_hand_computation():
    effects = markov.removal_effects(markov.transitions_from_paths(HAND_PATHS)).set_index("channel")
    assert effects.loc[["A", "B", "C"], "removal_effect"].tolist() == pytest.approx([1 / 2, 2 / 3, 1 / 3])
    assert effects.loc[["A", "B", "C"], "share"].tolist() == pytest.approx([1 / 3, 4 / 9, 2 / 9])
    assert effects["conversion_probability"].iloc[0] == pytest.approx(3 / 4)


def test_back_to_back_repeats_do_not_change_removal_effects():
    repeated = [(["A", "A", "B", "B", "B"], True), (["B", "B"], True), (["A", "C", "C"], False), (["C"], True)]
    plain = markov.removal_effects(markov.transitions_from_paths(HAND_PATHS))
    again = markov.removal_effects(markov.transitions_from_paths(repeated))
    pd.testing.assert_frame_equal(plain, again)
    # and self-loops given as transition counts are ignored the same way
    with_loops = pd.concat([markov.transitions_from_paths(HAND_PATHS),
                            pd.DataFrame({"from_state": ["A"], "to_state": ["A"], "transitions": [5]})])
    pd.testing.assert_frame_equal(plain, markov.removal_effects(with_loops))


def test_removal_effects_edge_cases():
    # one channel, always converting: removing it loses everything
    one = markov.removal_effects(markov.transitions_from_paths([(["A"], True)]))
    assert one["removal_effect"].tolist() == [1.0] and one["share"].tolist() == [1.0]
    # nothing converts: effects and shares are 0, not NaN
    none = markov.removal_effects(markov.transitions_from_paths([(["A", "B"], False)]))
    assert none["removal_effect"].tolist() == [0.0, 0.0] and none["share"].tolist() == [0.0, 0.0]
    # empty input is an empty result
    assert markov.removal_effects(markov.transitions_from_paths([])).empty
    grouped = markov.removal_effects_by_group(
        pd.concat([markov.transitions_from_paths(HAND_PATHS).assign(kind="x"),
                   markov.transitions_from_paths([(["A"], True)]).assign(kind="y")]), ["kind"])
    assert grouped.groupby("kind")["share"].sum().tolist() == pytest.approx([1.0, 1.0])


# ---------------------------------------------------------------- BG/NBD and Gamma-Gamma on CDNOW
@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return pd.read_csv(DATA / "cdnow_customers_summary.csv")


def test_bgnbd_on_cdnow_recovers_the_published_parameters(cdnow):
    fit = btyd.fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert fit.params[name] == pytest.approx(value, rel=0.01), name
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.5)
    assert fit.n_customers == 2357


def test_bgnbd_predictions_on_cdnow(cdnow):
    fit = btyd.fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    # the paper's customer: x = 2, t_x = 30.43, T = 38.86 weeks -> 1.226 expected purchases in the next 39 weeks
    assert btyd.bgnbd_expected_purchases(fit, 39, [2], [30.43], [38.86])[0] == pytest.approx(1.226, rel=0.005)
    alive = btyd.bgnbd_p_alive(fit, cdnow["frequency"], cdnow["recency"], cdnow["T"])
    assert ((alive > 0) & (alive <= 1)).all()
    assert alive[cdnow["frequency"].to_numpy() == 0] == pytest.approx(1.0)  # no repeat: no evidence of death
    # the expected purchases of the whole cohort in the next 39 weeks are close to what happened (paper: 1,788
    # predicted against 1,789 repeat purchases in weeks 40-78)
    total = btyd.bgnbd_expected_purchases(fit, 39, cdnow["frequency"], cdnow["recency"], cdnow["T"]).sum()
    assert 1_650 < total < 1_950


def test_gamma_gamma_on_cdnow_recovers_the_published_parameters():
    d = pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv")
    fit = btyd.fit_gamma_gamma(d["x"], d["zbar"])
    for name, value in {"p": 6.25, "q": 3.74, "v": 15.44}.items():
        assert fit.params[name] == pytest.approx(value, rel=0.01), name
    assert fit.n_customers == 946
    spend = btyd.gamma_gamma_expected_value(fit, d["x"], d["zbar"])
    assert spend[d["x"].to_numpy() == 0] == pytest.approx(fit.p * fit.v / (fit.q - 1))


def test_clv_is_discounted_and_grows_with_the_horizon(cdnow):
    d = pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv")
    bg = btyd.fit_bgnbd(d["x"], d["t_x"], d["T"])
    gg = btyd.fit_gamma_gamma(d["x"], d["zbar"])
    args = (d["x"], d["t_x"], d["T"], d["zbar"])
    week = {"period_days": 30 / 7}  # CDNOW is in weeks: a month is 30/7 weeks
    short = btyd.predicted_clv(bg, gg, *args, months=6, **week)
    long = btyd.predicted_clv(bg, gg, *args, months=12, **week)
    discounted = btyd.predicted_clv(bg, gg, *args, months=12, monthly_discount_rate=0.01, **week)
    assert (long >= short).all() and (discounted <= long).all() and (discounted > 0).all()


def _daily_summary(n: int, seed: int) -> pd.DataFrame:
    """A daily BTYD summary shaped like a shop's: most customers buy once, ages up to two years."""
    rng = np.random.default_rng(seed)
    age = rng.integers(0, 730, n).astype(float)
    frequency = np.minimum(np.where(rng.random(n) < 0.6, 0, rng.poisson(2, n)), age).astype(float)
    recency = np.where(frequency > 0, np.clip(np.floor(rng.random(n) * age), frequency, age), 0.0)
    monetary = np.where(frequency > 0, np.round(rng.gamma(3, 20, n), 2), 0.0)
    return pd.DataFrame({"contact_id": [f"c{i:05d}" for i in range(n)], "btyd_frequency": frequency,
                         "btyd_recency_days": recency, "btyd_age_days": age, "btyd_monetary_value": monetary})


@pytest.mark.parametrize("params", [(0.3, 40.0, 0.8, 2.5), (2.0, 5.0, 0.1, 9.0), (0.05, 300.0, 3.0, 0.4)])
def test_bgnbd_gradient_matches_the_likelihood(params):
    d = _daily_summary(400, 1)
    x, tx, t = d["btyd_frequency"], d["btyd_recency_days"], d["btyd_age_days"]
    weight = np.random.default_rng(2).integers(1, 5, len(d)).astype(float)
    value, gradient = btyd.bgnbd_weighted_log_likelihood(params, x, tx, t, weight)
    total = lambda p: float((weight * btyd.bgnbd_log_likelihood(p, x, tx, t)).sum())  # noqa: E731
    assert value == pytest.approx(total(params), rel=1e-12)
    numeric = [(total(np.add(params, step)) - total(np.subtract(params, step))) / (2 * h)
               for h, step in ((h, np.eye(4)[i] * h) for i, h in enumerate(np.multiply(params, 1e-6)))]
    assert gradient == pytest.approx(numeric, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("params", [(6.0, 4.0, 15.0), (1.0, 2.0, 50.0), (0.5, 8.0, 3.0)])
def test_gamma_gamma_gradient_matches_the_likelihood(params):
    d = _daily_summary(400, 3)
    repeat = d[d["btyd_frequency"] > 0]
    x, m = repeat["btyd_frequency"], repeat["btyd_monetary_value"]
    weight = np.random.default_rng(4).integers(1, 5, len(repeat)).astype(float)
    value, gradient = btyd.gamma_gamma_weighted_log_likelihood(params, x, m, weight)
    total = lambda p: float((weight * btyd.gamma_gamma_log_likelihood(p, x, m)).sum())  # noqa: E731
    assert value == pytest.approx(total(params), rel=1e-12)
    numeric = [(total(np.add(params, step)) - total(np.subtract(params, step))) / (2 * h)
               for h, step in ((h, np.eye(3)[i] * h) for i, h in enumerate(np.multiply(params, 1e-6)))]
    assert gradient == pytest.approx(numeric, rel=1e-5, abs=1e-6)


def test_predictions_do_not_depend_on_the_row_order():
    """Weighted distinct summaries give the per-customer likelihood sum, whatever order the rows come in (an
    engine returns them in any order): a shuffled summary predicts the same, bit for bit."""
    d = _daily_summary(5_000, 5)
    x, tx, t = d["btyd_frequency"], d["btyd_recency_days"], d["btyd_age_days"]
    (ux, utx, ut), weight, back = btyd.distinct_rows(*(c.to_numpy() for c in (x, tx, t)))
    assert len(ux) < len(d) / 2 and weight.sum() == len(d)
    assert (ux[back] == x.to_numpy()).all() and (ut[back] == t.to_numpy()).all()
    fit = btyd.fit_bgnbd(x, tx, t)
    assert fit.log_likelihood == pytest.approx(btyd.bgnbd_log_likelihood(
        [fit.r, fit.alpha, fit.a, fit.b], x, tx, t).sum(), rel=1e-12)
    first = btyd.predict_customers(d).set_index("contact_id").sort_index()
    second = btyd.predict_customers(d.sample(frac=1, random_state=7)).set_index("contact_id").sort_index()
    assert (first["btyd_fit_status"] == "fitted").all()
    pd.testing.assert_frame_equal(first, second, check_exact=True)


def test_bad_summaries_name_the_row():
    with pytest.raises(ValueError, match="row 1: recency must be between 0 and age"):
        btyd.fit_bgnbd([1, 2], [3, 9], [10, 5])
    with pytest.raises(ValueError, match="row 0: recency must be 0"):
        btyd.fit_bgnbd([0], [2], [10])
    with pytest.raises(ValueError, match="repeat purchase"):
        btyd.fit_bgnbd(np.zeros(5), np.zeros(5), np.full(5, 10.0))
