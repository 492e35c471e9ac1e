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


def test_bad_summaries_name_the_row():
    with pytest.raises(ValueError, match="row 1: recency must be between 0 and age"):
        btyd.fit_bgnbd([1, 2], [3, 9], [10, 5])
    with pytest.raises(ValueError, match="row 0: recency must be 0"):
        btyd.fit_bgnbd([0], [2], [10])
    with pytest.raises(ValueError, match="repeat purchase"):
        btyd.fit_bgnbd(np.zeros(5), np.zeros(5), np.full(5, 10.0))
