"""First-order Markov-chain attribution: removal effects computed exactly from the absorbing chain.

States: ``start``, one state per marketing channel, and two absorbing states, ``conversion`` and ``null``.
Paths are lists of channels; a converting path ends in ``conversion``, a path that led to no conversion in
``null``. Back-to-back repeats of a channel are collapsed before counting (a self-loop does not change the
probability of where the chain is eventually absorbed, so the removal effects are the same either way).

With Q the transition matrix among the transient states (start and channels) and R the transitions from
them into the absorbing states, the fundamental matrix N = (I - Q)^-1 gives the absorption probabilities
B = N R; P(conversion) = B[start, conversion]. Removing channel c sends every transition into c to
``null``. The removal effect is RE(c) = 1 - P(conversion | c removed) / P(conversion), and channel c's
share of the conversions is RE(c) / sum of RE.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

START = "(start)"
CONVERSION = "(conversion)"
NULL = "(null)"
TRANSITION_COLUMNS = ("from_state", "to_state", "transitions")


def collapse_repeats(path: Sequence[str]) -> list[str]:
    """A path with back-to-back repeats of a channel collapsed: [a, a, b, a] -> [a, b, a]."""
    out: list[str] = []
    for channel in path:
        if not out or out[-1] != channel:
            out.append(channel)
    return out


def transitions_from_paths(paths: Iterable[tuple[Sequence[str], bool]]) -> pd.DataFrame:
    """Transition counts (from_state, to_state, transitions) of (channels, converted) paths."""
    counts: dict[tuple[str, str], int] = {}
    for channels, converted in paths:
        states = [START, *collapse_repeats(list(channels)), CONVERSION if converted else NULL]
        for a, b in zip(states, states[1:], strict=False):
            counts[(a, b)] = counts.get((a, b), 0) + 1
    rows = [(a, b, n) for (a, b), n in sorted(counts.items())]
    return pd.DataFrame(rows, columns=list(TRANSITION_COLUMNS))


def _conversion_probability(channels: list[str], probs: np.ndarray, removed: int | None = None) -> float:
    """P(absorbed in conversion | start) for the transition probabilities ``probs`` over the states
    [start, *channels, conversion, null]; with ``removed`` (a channel index) its incoming mass goes to null."""
    k = len(channels) + 1                       # transient states: start + channels
    p = probs.copy()
    if removed is not None:
        col = 1 + removed
        p[:, k + 1] += p[:, col]                # into the removed channel -> null
        p[:, col] = 0.0
    q, r = p[:k, :k], p[:k, k:]
    # B = (I - Q)^-1 R, solved rather than inverted; the start row is all we need
    b = np.linalg.solve(np.eye(k) - q, r)
    return float(b[0, 0])


def removal_effects(transitions: pd.DataFrame) -> pd.DataFrame:
    """Removal effect and share of every channel, from transition counts.

    ``transitions`` has columns from_state, to_state, transitions (counts) with the states START,
    CONVERSION, NULL and channel names. Returns one row per channel: channel, removal_effect, share
    (RE / sum of RE; 0 when no path converts), conversion_probability (P(conversion) of the full chain).
    Self-transitions are ignored (see the module docstring).
    """
    cols = ["channel", "removal_effect", "share", "conversion_probability"]
    t = transitions.loc[transitions["from_state"] != transitions["to_state"]]
    t = t.loc[t["transitions"] > 0]
    channels = sorted((set(t["from_state"]) | set(t["to_state"])) - {START, CONVERSION, NULL})
    if not channels:
        return pd.DataFrame(columns=cols)
    states = [START, *channels, CONVERSION, NULL]
    index = {s: i for i, s in enumerate(states)}
    counts = np.zeros((len(states), len(states)))
    np.add.at(counts, (t["from_state"].map(index).to_numpy(), t["to_state"].map(index).to_numpy()),
              t["transitions"].to_numpy(dtype=float))
    out_totals = counts.sum(axis=1, keepdims=True)
    probs = np.divide(counts, out_totals, out=np.zeros_like(counts), where=out_totals > 0)
    # a transient state with no way out (a channel only ever seen as a path's target) is sent to null
    dead = np.flatnonzero(out_totals[: len(channels) + 1, 0] == 0)
    probs[dead, index[NULL]] = 1.0
    base = _conversion_probability(channels, probs)
    if base <= 0:
        effects = np.zeros(len(channels))
    else:
        effects = np.array([1.0 - _conversion_probability(channels, probs, removed=i) / base
                            for i in range(len(channels))])
        effects = np.clip(effects, 0.0, 1.0)  # guard tiny negative round-off
    total = effects.sum()
    shares = effects / total if total > 0 else np.zeros(len(channels))
    return pd.DataFrame({"channel": channels, "removal_effect": effects, "share": shares,
                         "conversion_probability": base})


def removal_effects_by_group(transitions: pd.DataFrame, group_columns: Sequence[str]) -> pd.DataFrame:
    """:func:`removal_effects` for each group (e.g. conversion type and name) of a transitions table."""
    group_columns = list(group_columns)
    frames = []
    if len(transitions):
        for key, part in transitions.groupby(group_columns, sort=True, dropna=False):
            effects = removal_effects(part)
            key = key if isinstance(key, tuple) else (key,)
            for column, value in zip(group_columns, key, strict=True):
                effects[column] = value
            frames.append(effects)
    columns = [*group_columns, "channel", "removal_effect", "share", "conversion_probability"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]
