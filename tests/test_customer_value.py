"""Customer value from an export of orders alone, through the file drop: the buy-till-you-die summary on a
hand-checked file, and an RFM cell for every customer."""

from __future__ import annotations

import pytest
from dbt_helpers import query

import warehouse_io
from ingestion import raw_tables
from ingestion.file_drop.loader import load_folder
from orchestration.dbt import run_dbt

# order id, customer id, date, revenue; customer 007 orders twice on Jan 5 (one purchase day of 150),
# places a zero-value order on Feb 4; "0042" and "42" are different customers (zero padding is kept).
ORDERS = """order_id,contact_external_id,ordered_at,revenue
0001,007,2026-01-05T09:00:00Z,100.00
0002,007,2026-01-05T17:30:00Z,50.00
0003,007,2026-02-04T12:00:00Z,0.00
0004,007,2026-03-06T08:00:00Z,80.00
0005,0042,2026-02-01,30.00
0006,42,2026-03-06T10:00:00+02:00,10.00
"""
# Hand-checked, observation end = the day of the latest order, 2026-03-06:
#   007:  purchase days Jan 5 (150), Feb 4 (0), Mar 6 (80) -> frequency 2, recency 60, age 60,
#         monetary (0 + 80) / 2 = 40; 4 orders, revenue 230, AOV 57.5
#   0042: one day Feb 1 -> frequency 0, recency 0, age 33, monetary 0
#   42:   one day Mar 6 (08:00 UTC) -> frequency 0, recency 0, age 0, monetary 0
EXPECTED = {
    "007": (4, 3, 230.0, 2, 60, 60, 40.0),
    "0042": (1, 1, 30.0, 0, 0, 33, 0.0),
    "42": (1, 1, 10.0, 0, 0, 0, 0.0),
}


@pytest.mark.slow
def test_orders_only_export_gives_the_btyd_summary(tmp_path):
    drop = tmp_path / "shopexport"
    drop.mkdir()
    (drop / "orders.csv").write_text(ORDERS)
    warehouse = tmp_path / "w.duckdb"
    with warehouse_io.connect(warehouse) as con:
        raw_tables.ensure_raw_tables(con)
    load_folder(drop, warehouse).check()
    run_dbt(["build"], warehouse=warehouse, target_path=tmp_path / "target")

    rows = query(warehouse, """
        select map.record_id, v.orders, v.order_days, v.revenue, v.btyd_frequency, v.btyd_recency_days,
               v.btyd_age_days, v.btyd_monetary_value, v.rfm_cell, v.btyd_fit_status, v.p_alive, v.observation_end
        from marts.fct_customer_value as v
        inner join intermediate.int_identity__contact_map as map
            on map.contact_id = v.contact_id and map.record_source = 'files_contact'""")
    got = {record_id.split(":", 1)[1]: row for record_id, *row in rows}
    assert set(got) == set(EXPECTED)
    for customer, expected in EXPECTED.items():
        orders, days, revenue, freq, rec, age, monetary = expected
        row = got[customer]
        assert tuple(row[:2]) == (orders, days), customer
        assert row[2] == pytest.approx(revenue), customer
        assert tuple(row[3:6]) == (freq, rec, age), customer
        assert row[6] == pytest.approx(monetary), customer
        assert row[7] in {"Recent customers", "Loyalists", "Champions", "Need nurturing", "High potential",
                          "At risk", "About to lose"}
        # three customers are too few to fit BG/NBD: predictions stay null and say why
        assert row[8] == "too_few_customers" and row[9] is None
        assert str(row[10]) == "2026-03-06"
    # the customers are platform contacts
    assert query(warehouse, "select count(*) from marts.fct_customer_value v inner join marts.dim_contacts c "
                            "on c.contact_id = v.contact_id")[0][0] == 3


def test_customer_value_on_the_demo(demo_warehouse):
    customers, fitted, cells, alive_ok = query(demo_warehouse, """
        select count(*), sum(case when btyd_fit_status = 'fitted' then 1 else 0 end), count(distinct rfm_cell),
               sum(case when p_alive between 0 and 1 and churn_risk = 1 - p_alive then 1 else 0 end)
        from marts.fct_customer_value""")[0]
    buyers = query(demo_warehouse, "select count(distinct contact_id) from intermediate.int_orders "
                                   "where not is_cancelled")[0][0]
    assert customers == buyers > 50 and fitted == customers == alive_ok and cells >= 5
    # the map's last snapshot counts every customer once, in the cell fct_customer_value gives them
    mismatched = query(demo_warehouse, """
        select m.rfm_cell, m.customers, count(v.contact_id) from marts.rpt_rfm_lifecycle_map as m
        left join marts.fct_customer_value as v on v.rfm_cell = m.rfm_cell
        where m.snapshot_month = (select max(snapshot_month) from marts.rpt_rfm_lifecycle_map)
        group by 1, 2 having m.customers <> count(v.contact_id)""")
    assert mismatched == []
    # repeat buyers are worth more in the future than one-time buyers
    repeat, single = query(demo_warehouse, """
        select avg(case when btyd_frequency > 0 then predicted_clv end),
               avg(case when btyd_frequency = 0 then predicted_clv end) from marts.fct_customer_value""")[0]
    assert repeat > single > 0
