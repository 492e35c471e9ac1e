"""Webhook (signed JSON batches, Idempotency-Key) and CSV / Parquet file destinations."""

from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq
import pytest

from activation import run_sync
from warehouse_io import WarehouseTarget

from .helpers import ops, sync_config, write_segment
from .webhook import SECRET, WebhookServer

TYPES = {"contact_id": "varchar", "email": "varchar", "score": "double"}


def row(i: int, **over) -> dict:
    return {"contact_id": f"c{i:04d}", "email": f"p{i}@example.com", "score": float(i), **over}


def test_request_bodies_encode_what_the_standard_library_encodes():
    """stable_json is orjson now: the same JSON document for every type a segment row or payload holds."""
    import dataclasses
    from datetime import UTC, date, datetime
    from decimal import Decimal

    import numpy as np

    from activation.destinations.base import stable_json

    @dataclasses.dataclass
    class Point:
        x: int

    value = {"s": "Zoë 東京 \u2028", "i": 2**53 + 1, "f": [0.1, 1e-7, 1e16, 10.0, -0.0], "b": True, "n": None,
             "d": Decimal("10.50"), "t": datetime(2026, 1, 2, 3, 4, 5, 6), "tz": datetime(2026, 1, 2, tzinfo=UTC),
             "day": date(2026, 1, 2), "tuple": (1, "a"), "np": np.float64(2.5), "npi": np.int64(7), 1: "int key",
             "dc": Point(1), "nested": [{"a": [1, {"b": "c"}]}]}
    expected = json.loads(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str))
    assert json.loads(stable_json(value)) == expected
    assert json.loads(stable_json({"big": 2**70})) == {"big": 2**70}  # beyond orjson: the standard library
    assert stable_json({"b": 1, "a": 2}) == b'{"b":1,"a":2}'  # compact, key order as built


@pytest.fixture
def wh(tmp_path):
    return WarehouseTarget.duckdb(tmp_path / "w.duckdb")


def webhook_config(url: str, mode: str = "mirror"):
    return sync_config("webhook_test", {
        "source": {"model": "seg_test", "key": "contact_id"},
        "destination": {"type": "webhook", "url": url + "/hooks/lifecycle", "batch_size": 100},
        "mode": mode, "mapping": {"email": "email", "score": "score"}, "max_retries": 3})


def test_webhook_batches_are_signed_and_a_retried_batch_is_applied_once(wh):
    rows = [row(i) for i in range(450)]
    write_segment(wh, "seg_test", rows, TYPES)
    with WebhookServer() as srv:
        # the receiver applies the 2nd batch but the answer is lost (timeout): the retry carries the same key
        srv.fault(nth=2, sleep_after=1.0)
        srv.reject = {"c0042": "email domain not allowed"}
        srv.reject_batch = {"c0333"}
        cfg = webhook_config(srv.url).model_copy(update={"timeout_seconds": 0.5})
        first = run_sync(cfg, warehouse=wh, dry_run=False, credentials={"secret": SECRET})

        assert (first.rows_sent, first.rows_failed) == (448, 2)
        assert max(srv.applied.values()) == 1  # the retried batch was not applied twice
        keys = [e.headers.get("Idempotency-Key") for e in srv.log]
        assert len(keys) > len(set(keys))       # ... because the retry carried the same Idempotency-Key
        reasons = dict(ops(wh, "select record_key, reason from ops.sync_failures"))
        assert reasons["c0042"] == "email domain not allowed" and "HTTP 422" in reasons["c0333"]

        srv.reject, srv.reject_batch = {}, set()
        write_segment(wh, "seg_test", rows[:400], TYPES)
        second = run_sync(cfg, warehouse=wh, dry_run=False, credentials={"secret": SECRET})
        assert (second.rows_sent, second.rows_removed) == (2, 50)  # both failures retried; 50 left
        assert sorted(srv.records) == [r["contact_id"] for r in rows[:400]]
        assert srv.records["c0007"] == {"email": "p7@example.com", "score": 7.0}


def test_webhook_with_a_wrong_secret_stops_the_run(wh):
    write_segment(wh, "seg_test", [row(1)], TYPES)
    with WebhookServer() as srv, pytest.raises(Exception, match="the webhook refused the batch"):
        run_sync(webhook_config(srv.url), warehouse=wh, dry_run=False, credentials={"secret": "wrong"})


def file_config(folder, mode: str, fmt: str = "csv"):
    return sync_config("file_test", {
        "source": {"model": "seg_test", "key": "contact_id"},
        "destination": {"type": "file", "path": str(folder), "format": fmt, "file_name": "winback"},
        "mode": mode, "mapping": {"contact_id": "contact_id", "email": "email", "score": "score"}})


def test_file_mirror_always_equals_the_segment(wh, tmp_path):
    out = tmp_path / "exports"
    rows = [row(i) for i in range(20)]
    write_segment(wh, "seg_test", rows, TYPES)
    first = run_sync(file_config(out, "mirror"), warehouse=wh, dry_run=False)
    assert first.rows_sent == 20
    write_segment(wh, "seg_test", rows[:15] + [row(100)], TYPES)
    second = run_sync(file_config(out, "mirror"), warehouse=wh, dry_run=False)
    assert (second.rows_sent, second.rows_removed, second.rows_unchanged) == (1, 5, 15)
    got = list(csv.DictReader(io.StringIO((out / "winback.csv").read_text())))
    assert [r["contact_id"] for r in got] == [r["contact_id"] for r in rows[:15]] + ["c0100"]
    assert list(got[0]) == ["contact_id", "email", "score"]


def test_file_append_writes_only_new_and_changed_rows_as_parquet(wh, tmp_path):
    out = tmp_path / "exports"
    rows = [row(i) for i in range(10)]
    write_segment(wh, "seg_test", rows, TYPES)
    run_sync(file_config(out, "append", "parquet"), warehouse=wh, dry_run=False)
    rows[4]["score"] = 40.0
    write_segment(wh, "seg_test", rows, TYPES)
    run_sync(file_config(out, "append", "parquet"), warehouse=wh, dry_run=False)
    files = sorted((out / "winback").glob("*.parquet"))
    assert len(files) == 2
    tables = [pq.read_table(f).to_pylist() for f in files]
    assert len(tables[0]) == 10 and tables[1] == [{"contact_id": "c0004", "email": "p4@example.com", "score": 40.0}]


def test_file_append_names_sort_in_the_order_rows_were_written(wh, tmp_path):
    """A feed is loaded in name order: chunks of one run, and runs a millisecond apart, sort as written."""
    import datetime as dt

    out = tmp_path / "exports"
    config = file_config(out, "append", "csv")
    config = config.model_copy(update={"commit_every": 3})  # a file per committed chunk
    write_segment(wh, "seg_test", [row(i) for i in range(10)], TYPES)
    start = dt.datetime(2026, 12, 3, 9, 30, 0, tzinfo=dt.UTC)
    run_sync(config, warehouse=wh, dry_run=False, now=start)
    write_segment(wh, "seg_test", [row(i, score=-1.0) for i in range(10)], TYPES)
    run_sync(config, warehouse=wh, dry_run=False, now=start + dt.timedelta(milliseconds=1))
    files = sorted((out / "winback").glob("*.csv"))
    assert len(files) == 8  # 4 chunks of at most 3 rows per run
    written = [r for f in files for r in csv.DictReader(io.StringIO(f.read_text()))]
    assert [(r["contact_id"], float(r["score"])) for r in written] == (
        [(f"c{i:04d}", float(i)) for i in range(10)] + [(f"c{i:04d}", -1.0) for i in range(10)]
    )


def test_file_dry_run_writes_only_the_outbox(wh, tmp_path):
    write_segment(wh, "seg_test", [row(1), row(2)], TYPES)
    result = run_sync(file_config(tmp_path / "exports", "mirror"), warehouse=wh, dry_run=True,
                      outbox_dir=tmp_path / "outbox")
    assert not (tmp_path / "exports").exists()
    line = json.loads(result.outbox_path.read_text().splitlines()[0])
    assert line["method"] == "WRITE" and line["body"].splitlines()[0] == '"contact_id","email","score"'
