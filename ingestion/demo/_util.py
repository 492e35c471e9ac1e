"""Small vectorised helpers shared by the demo generator modules (no per-row Python loops)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

STR_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)


def rng_for(seed: int, name: str) -> np.random.Generator:
    """An independent, stable random stream per component, so adding draws in one part never shifts another."""
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")
    return np.random.default_rng([seed, key])


def groups(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of the given sizes: (group index of every element, position of the element in its group)."""
    counts = np.asarray(counts, dtype=np.int64)
    parent = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    pos = np.arange(len(parent), dtype=np.int64) - np.repeat(starts, counts)
    return parent, pos


def group_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarting at every group (groups are consecutive runs of ``counts``)."""
    cs = np.cumsum(values)
    starts = np.cumsum(counts) - counts
    before = np.concatenate([[0.0], cs])[starts]
    return cs - np.repeat(before, counts)


def choice_idx(rng: np.random.Generator, weights: Sequence[float], size: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def lognormal_median(rng: np.random.Generator, median: float | np.ndarray, sigma: float, size: int) -> np.ndarray:
    return np.asarray(median) * np.exp(sigma * rng.standard_normal(size))


def strs(categories: Sequence[str | None], codes: np.ndarray) -> pd.Series:
    """A string column from codes into a list of values (code -1, or a None value, means null); fast for many rows."""
    codes = np.asarray(codes)
    values = pa.array(list(categories), type=pa.large_string())
    mask = codes < 0
    indices = pa.array(np.where(mask, 0, codes).astype(np.int64), mask=mask if mask.any() else None)
    return arrow_series(pc.take(values, indices))


def arrow_series(arr: pa.Array) -> pd.Series:
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    return pd.Series(arr.to_pandas(types_mapper={pa.large_string(): STR_DTYPE}.get), dtype=STR_DTYPE)


def str_col(values: np.ndarray | Sequence) -> pd.Series:
    """A string column from an object array (None -> null)."""
    return pd.Series(pa.array(np.asarray(values, dtype=object), type=pa.large_string()).to_pandas(
        types_mapper={pa.large_string(): STR_DTYPE}.get), dtype=STR_DTYPE)


def take_col(values: np.ndarray, idx: np.ndarray) -> pd.Series:
    """``values[idx]`` as a string column (idx -1 -> null), converting ``values`` to Arrow only once."""
    idx = np.asarray(idx)
    mask = idx < 0
    arr = pa.array(np.asarray(values, dtype=object), type=pa.large_string())
    return arrow_series(pc.take(arr, pa.array(np.where(mask, 0, idx).astype(np.int64), mask=mask if mask.any() else None)))


def int_str(values: np.ndarray, prefix: str = "", width: int = 0) -> np.ndarray:
    """Integers formatted as strings with an optional prefix and zero padding (object array)."""
    s = np.asarray(values, dtype=np.int64).astype("U20")
    if width:
        s = np.char.zfill(s, width)
    if prefix:
        s = np.char.add(prefix, s)
    return s.astype(object)


def cat(*parts: np.ndarray | str) -> np.ndarray:
    """Element-wise string concatenation of arrays and scalars (object array)."""
    out = None
    for p in parts:
        arr = p if isinstance(p, str) else np.asarray(p).astype("U")
        out = arr if out is None else np.char.add(out, arr)
    return np.asarray(out).astype(object)


def hex_tokens(rng: np.random.Generator, n: int, nbytes: int = 16) -> np.ndarray:
    """Random hex tokens (object array)."""
    raw = rng.integers(0, 256, size=(n, nbytes), dtype=np.uint8)
    return _hex_vectorised(raw)


def _hex_vectorised(raw: np.ndarray) -> np.ndarray:
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    out = np.empty((raw.shape[0], raw.shape[1] * 2), dtype=np.uint8)
    out[:, 0::2] = digits[raw >> 4]
    out[:, 1::2] = digits[raw & 15]
    return np.frombuffer(out.tobytes(), dtype=f"S{out.shape[1]}").astype("U").astype(object)


def to_ts(seconds: np.ndarray) -> pd.Series:
    """Epoch seconds (float, NaN = null) -> naive UTC datetime64[ns] column, millisecond precision."""
    s = np.asarray(seconds, dtype=float)
    ms = np.where(np.isnan(s), 0, np.floor(s * 1000)).astype(np.int64)
    out = (ms * 1_000_000).view("datetime64[ns]").copy()
    out[np.isnan(s)] = np.datetime64("NaT")
    return pd.Series(out, dtype="datetime64[ns]")


def to_date(seconds: np.ndarray) -> pd.Series:
    days = (np.asarray(seconds, dtype=np.int64) // 86400).astype("datetime64[D]")
    return pd.Series(days.astype("datetime64[s]")).dt.date


def nullable_int(values: np.ndarray, null_below: int = 0) -> pd.Series:
    """Int64 column where values below ``null_below`` (e.g. -1) are null."""
    v = np.asarray(values, dtype=np.int64)
    return pd.Series(pd.arrays.IntegerArray(v, v < null_below))


def money(values: np.ndarray) -> pd.Series:
    return pd.Series(np.round(np.asarray(values, dtype=float), 2))


def json_tag_lists(bits: np.ndarray, tags: Sequence[str]) -> pd.Series:
    """JSON array strings from bitmasks over ``tags`` (one Python call per distinct combination, not per row)."""
    import json

    uniq, inv = np.unique(np.asarray(bits, dtype=np.int64), return_inverse=True)
    rendered = [json.dumps([t for i, t in enumerate(tags) if (u >> i) & 1]) for u in uniq]
    return strs(rendered, inv)
