"""Customers: the RFM lifecycle map (a cell opens its customers, personal data masked), cohort retention,
the CLV distribution, churn-risk bands, and NPS and CSAT over time."""

import streamlit as st

from dashboards import charts, queries, ui

queries.require(*queries.CUSTOMER_MARTS)

summary = queries.customer_summary()
if not summary.get("customers"):
    st.info("No customers yet: nobody has a non-cancelled order. Customer value appears after the first purchase.")
    st.stop()
currency = summary.get("reporting_currency") or ""
horizon = int(summary.get("prediction_days") or 0)
bands = queries.churn_bands()
high_risk = bands.loc[bands["churn_risk_band"] == "high", "customers"].sum()

cards = st.columns(4)
cards[0].metric("Customers", ui.fmt_int(summary["customers"]), border=True, help="Contacts with at least one order.")
cards[1].metric(
    "Median historical CLV",
    ui.fmt_money(summary["median_historical_clv"], currency),
    border=True,
    help="Revenue minus refunds per customer so far.",
)
cards[2].metric(
    "Median predicted CLV",
    ui.fmt_money(summary["median_predicted_clv"], currency),
    border=True,
    help=f"Expected revenue in the next {horizon} days (BG/NBD + Gamma-Gamma).",
)
cards[3].metric(
    "High churn risk",
    ui.fmt_int(high_risk),
    border=True,
    help="Customers whose probability of no longer buying is in the high band.",
)

st.subheader("RFM lifecycle map")
months = queries.rfm_months()
month = st.selectbox("Month end", months, format_func=lambda m: f"{m:%b %Y}", key="customers_rfm_month")
cells = queries.rfm_map(month)
selected = st.selectbox(
    "Open a cell",
    cells["rfm_cell"].tolist(),
    index=None,
    placeholder="Pick a cell to see its customers",
    format_func=lambda c: f"{c} ({ui.fmt_int(cells.loc[cells['rfm_cell'] == c, 'customers'].iloc[0])})",
    key="customers_rfm_cell",
)
st.caption(
    f"Where are the customers in their lifecycle at the end of {month:%b %Y}? Each cell by days since the last "
    "order (left: recent) and repeat buying (top: two or more orders in the window); shade = share of customers."
)
st.altair_chart(charts.rfm_grid(cells, selected), width="stretch")
st.dataframe(
    cells[
        [
            "rfm_cell",
            "customers",
            "share_of_customers",
            "lifetime_revenue",
            "aov",
            "customers_new",
            "customers_moved_in",
            "customers_moved_out",
            "customers_stayed",
        ]
    ],
    hide_index=True,
    key="customers_rfm_cells",
    column_config={
        "rfm_cell": "Cell",
        "customers": st.column_config.NumberColumn("Customers", format="localized"),
        "share_of_customers": st.column_config.NumberColumn("Share", format="percent"),
        "lifetime_revenue": st.column_config.NumberColumn(f"Lifetime revenue ({currency})", format="%,.0f"),
        "aov": st.column_config.NumberColumn(f"AOV ({currency})", format="%,.2f"),
        "customers_new": st.column_config.NumberColumn("New customers", format="localized"),
        "customers_moved_in": st.column_config.NumberColumn("Moved in", format="localized"),
        "customers_moved_out": st.column_config.NumberColumn("Moved out", format="localized"),
        "customers_stayed": st.column_config.NumberColumn("Stayed", format="localized"),
    },
)
if selected:
    st.markdown(f"**Customers in {selected} now**")
    if month != months[0]:
        st.caption(f"The list shows who is in {selected} at the latest month end ({months[0]:%b %Y}).")
    members = queries.rfm_cell_customers(selected)
    if members.empty:
        st.info(f"No customer is in {selected} at the latest month end.")
    else:
        members = members.assign(
            email=members["email"].map(ui.mask_email),
            phone=members["phone"].map(ui.mask_phone),
        )
        st.dataframe(
            members.drop(columns=["reporting_currency", "churn_risk"]),
            hide_index=True,
            key="customers_cell_members",
            column_config={
                "contact_id": "Contact id",
                "email": "Email (masked)",
                "phone": "Phone (masked)",
                "orders": st.column_config.NumberColumn("Orders", format="localized"),
                "last_order_at": st.column_config.DatetimeColumn("Last order (UTC)", format="YYYY-MM-DD"),
                "rfm_recency_days": st.column_config.NumberColumn("Days since last order", format="localized"),
                "historical_clv": st.column_config.NumberColumn(f"Historical CLV ({currency})", format="%,.0f"),
                "predicted_clv": st.column_config.NumberColumn(f"Predicted CLV ({currency})", format="%,.0f"),
                "churn_risk_band": "Churn risk",
            },
        )
        if len(members) >= queries.CELL_CUSTOMERS_LIMIT:
            st.caption(f"The {queries.CELL_CUSTOMERS_LIMIT:,} highest-value customers of the cell.")

st.subheader("Cohort retention")
grain = (
    st.segmented_control(
        "Cohort", ["month", "quarter"], default="month", key="customers_cohort_grain", format_func=lambda g: f"By {g}"
    )
    or "month"
)
cohorts = queries.cohort_retention(grain)
if cohorts.empty:
    st.info("No acquisition cohort yet.")
else:
    st.caption(
        f"Do customers come back? Share of each first-order {grain}'s customers who ordered again n {grain}s later."
    )
    st.altair_chart(charts.cohort_heatmap(cohorts, grain), width="stretch")
retention = queries.customer_retention()
if not retention.empty:
    st.dataframe(
        retention.assign(
            month_start=retention["month_start"].dt.strftime("%b %Y"),
            customer_retention_rate=retention["customer_retention_rate"].map(ui.fmt_pct),
            churn_rate=retention["churn_rate"].map(ui.fmt_pct),
            repeat_purchase_rate=retention["repeat_purchase_rate"].map(ui.fmt_pct),
        ),
        hide_index=True,
        key="customers_retention",
        column_config={
            "month_start": "Month",
            "customers_start": st.column_config.NumberColumn("Active at start", format="localized"),
            "new_customers": st.column_config.NumberColumn("New", format="localized"),
            "customers_end": st.column_config.NumberColumn("Active at end", format="localized"),
            "retained_customers": st.column_config.NumberColumn("Retained", format="localized"),
            "customer_retention_rate": st.column_config.TextColumn("Retention rate"),
            "churn_rate": st.column_config.TextColumn("Churn rate"),
            "repeat_purchase_rate": st.column_config.TextColumn("Repeat purchase rate"),
        },
    )

st.subheader("Customer value and churn risk")
values = queries.customer_values()
left, right = st.columns(2)
with left:
    measure = (
        st.segmented_control(
            "CLV",
            ["predicted_clv", "historical_clv"],
            default="predicted_clv",
            format_func={"predicted_clv": f"Predicted ({horizon} days)", "historical_clv": "Historical"}.get,
            key="customers_clv_measure",
        )
        or "predicted_clv"
    )
    label = (
        f"Predicted CLV, next {horizon} days ({currency})"
        if measure == "predicted_clv"
        else f"Historical CLV ({currency})"
    )
    if values[measure].notna().any():
        st.caption(f"How is customer value spread? Customers per range of {label}, by churn-risk band.")
        st.altair_chart(charts.clv_histogram(values, measure, label), width="stretch")
    else:
        st.info("No CLV prediction yet: the BG/NBD model needs repeat purchases to fit (see btyd_fit_status).")
with right:
    st.caption(f"How many customers may stop buying, and how much predicted value ({currency}) do they hold?")
    st.altair_chart(charts.churn_band_bars(bands, "customers", "Customers"), width="stretch")
    st.dataframe(
        bands.drop(columns=["band_order"]),
        hide_index=True,
        key="customers_churn_bands",
        column_config={
            "churn_risk_band": "Churn risk",
            "customers": st.column_config.NumberColumn("Customers", format="localized"),
            "predicted_clv": st.column_config.NumberColumn(f"Predicted CLV ({currency})", format="%,.0f"),
            "average_churn_risk": st.column_config.NumberColumn("Mean churn risk", format="percent"),
        },
    )

st.subheader("NPS and CSAT")
channels = queries.satisfaction_channels()
chosen = st.multiselect("Channel", channels, default=channels, key="customers_channels")
scores = queries.satisfaction(chosen)
if scores.empty:
    st.info("No NPS or CSAT answer on the selected channels.")
else:
    nps_answers = scores["nps_answers"].sum()
    csat_answers = scores["csat_answers"].sum()
    left, right = st.columns(2)
    with left:
        st.caption("Would customers recommend us? NPS (promoters − detractors, % of answers) by month.")
        if nps_answers:
            st.altair_chart(charts.monthly_score(scores, "nps", "NPS", "nps_answers"), width="stretch")
        else:
            st.info("No NPS answer on the selected channels.")
    with right:
        st.caption("Are customers satisfied with the conversation? Average CSAT (1–5) by month.")
        if csat_answers:
            st.altair_chart(
                charts.monthly_score(scores, "csat_average", "CSAT (1–5)", "csat_answers", ",.2f", domain=(1, 5)),
                width="stretch",
            )
        else:
            st.info("No CSAT answer on the selected channels.")
    st.dataframe(
        scores.assign(
            answer_month=scores["answer_month"].dt.strftime("%b %Y"),
            nps=scores["nps"].map(ui.fmt_number),
            csat_average=scores["csat_average"].map(lambda v: ui.fmt_number(v, 2)),
            csat_satisfied_rate=scores["csat_satisfied_rate"].map(ui.fmt_pct),
        ),
        hide_index=True,
        key="customers_satisfaction",
        column_config={
            "answer_month": "Month",
            "nps_answers": st.column_config.NumberColumn("NPS answers", format="localized"),
            "promoters": st.column_config.NumberColumn("Promoters", format="localized"),
            "passives": st.column_config.NumberColumn("Passives", format="localized"),
            "detractors": st.column_config.NumberColumn("Detractors", format="localized"),
            "nps": st.column_config.TextColumn("NPS"),
            "csat_answers": st.column_config.NumberColumn("CSAT answers", format="localized"),
            "csat_average": st.column_config.TextColumn("CSAT average"),
            "csat_satisfied_rate": st.column_config.TextColumn("Satisfied (4–5)"),
        },
    )
