"""Campaigns and attribution: spend against leads, customers and attributed revenue per platform and campaign,
the six attribution models side by side, and how far the conversations each campaign started progressed."""

import streamlit as st

from dashboards import charts, queries, ui

queries.require(*queries.CAMPAIGN_MARTS)

months = queries.campaign_months()
if not months:
    st.info("No campaign, attribution or funnel data yet: connect an ad platform or run the demo pipeline.")
    st.stop()
platforms = queries.campaign_platforms()

left, middle, right = st.columns([2, 2, 2])
with left:
    picked = st.select_slider(
        "Months",
        options=months,
        value=(months[0], months[-1]),
        format_func=lambda m: f"{m:%b %Y}",
        key="campaigns_months",
        help="Spend by spend day, leads by funnel-entry day, revenue and conversions by conversion day.",
    )
    start, end = (picked[0], picked[-1]) if isinstance(picked, tuple | list) else (picked, picked)
with middle:
    chosen_platforms = st.multiselect(
        "Platform", platforms, default=platforms, format_func=queries.platform_name, key="campaigns_platforms"
    )
with right:
    model = st.selectbox(
        "Attribution model",
        list(queries.ATTRIBUTION_MODELS),
        index=list(queries.ATTRIBUTION_MODELS).index("last_touch"),
        format_func=queries.ATTRIBUTION_MODELS.get,
        key="campaigns_model",
        help="Which model credits purchase revenue to the campaigns' touches (revenue and ROAS).",
    )
period = f"{start:%b %Y} – {end:%b %Y}" if start != end else f"{start:%b %Y}"

st.subheader("Spend and return")
campaigns = queries.campaign_performance(model, start, end, chosen_platforms)
if campaigns.empty:
    st.info(f"No campaign spend, leads or revenue in {period} on the selected platforms. Widen the filters.")
else:
    currency = campaigns["reporting_currency"].dropna().iloc[0] if campaigns["reporting_currency"].notna().any() else ""
    total = queries.performance_rollup(campaigns).iloc[0]
    cards = [*st.columns(4), *st.columns(3)]
    cards[0].metric(f"Spend ({currency})", ui.fmt_money(total["spend"]), border=True)
    cards[1].metric("Leads", ui.fmt_int(total["leads"]), border=True, help="Funnel entries the ads brought.")
    cards[2].metric("Customers", ui.fmt_int(total["customers"]), border=True, help="Of those leads, entries won.")
    cards[3].metric(
        f"Revenue ({currency})",
        ui.fmt_money(total["revenue"]),
        border=True,
        help=f"Purchase revenue credited to the ads' touches by {queries.ATTRIBUTION_MODELS[model]}.",
    )
    cards[4].metric(f"CPL ({currency})", ui.fmt_money(total["cpl"], digits=2), border=True, help="Spend / leads.")
    cards[5].metric(f"CAC ({currency})", ui.fmt_money(total["cac"], digits=2), border=True, help="Spend / customers.")
    cards[6].metric("ROAS", ui.fmt_ratio(total["roas"]), border=True, help="Attributed revenue / spend.")

    ratio_columns = {
        "spend": st.column_config.NumberColumn(f"Spend ({currency})", format="%,.0f"),
        "leads": st.column_config.NumberColumn("Leads", format="localized"),
        "hot_leads": st.column_config.NumberColumn("Hot leads", format="localized"),
        "customers": st.column_config.NumberColumn("Customers", format="localized"),
        "revenue": st.column_config.NumberColumn(f"Revenue ({currency})", format="%,.0f"),
        "cpl": st.column_config.TextColumn(f"CPL ({currency})"),
        "cac": st.column_config.TextColumn(f"CAC ({currency})"),
        "roas": st.column_config.TextColumn("ROAS"),
    }
    shown = ["spend", "leads", "hot_leads", "customers", "revenue", "cpl", "cac", "roas"]

    st.markdown("**By platform**")
    by_platform = queries.performance_rollup(campaigns, "platform")
    by_platform.insert(0, "platform_name", by_platform["platform"].map(queries.platform_name))
    by_platform = ui.ratio_text(by_platform)
    st.dataframe(
        by_platform[["platform_name", *shown]],
        hide_index=True,
        key="campaigns_by_platform",
        column_config={"platform_name": "Platform", **ratio_columns},
    )
    st.markdown("**By campaign**")
    by_campaign = ui.ratio_text(campaigns.assign(platform_name=campaigns["platform"].map(queries.platform_name)))
    st.dataframe(
        by_campaign[["campaign_name", "platform_name", *shown]],
        hide_index=True,
        key="campaigns_by_campaign",
        column_config={"campaign_name": "Campaign", "platform_name": "Platform", **ratio_columns},
    )
    st.caption(
        f"Which campaigns pay back? Spend next to the purchase revenue {queries.ATTRIBUTION_MODELS[model]} "
        f"credits to each campaign, {period} ({currency})."
    )
    st.altair_chart(charts.spend_and_revenue(campaigns, currency), width="stretch")

st.subheader("Attribution models side by side")
kinds = queries.conversion_kinds()
if not kinds:
    st.info("No attributed conversions yet.")
else:
    kind = st.selectbox(
        "Conversion",
        kinds,
        index=kinds.index("purchase") if "purchase" in kinds else 0,
        format_func=lambda k: "Purchase" if k == "purchase" else f"Reached {k}",
        key="campaigns_conversion",
        help="The conversion whose credit the models share. The channel view covers every platform (a marketing "
        "channel such as Organic Messaging has no platform); the campaign view follows the platform filter.",
    )
    by_channel = queries.attribution_by_channel(start, end, kind)
    if by_channel.empty:
        st.info(f"No {kind} conversion in {period}.")
    else:
        value, title = (
            ("attributed_revenue", "Attributed revenue")
            if kind == "purchase"
            else ("attributed_conversions", "Attributed conversions")
        )
        st.caption(
            f"Which marketing channels get the credit for {kind} conversions, and how much does the answer depend "
            f"on the model? {title} per channel under each of the six models, {period}."
        )
        st.altair_chart(charts.model_comparison(by_channel, "marketing_channel", value, title), width="stretch")
        table = by_channel.pivot_table(
            index="marketing_channel", columns="model_name", values=value, aggfunc="sum", sort=False
        )
        # a channel a model gives no credit to has 0 under it
        table = table[[m for m in queries.ATTRIBUTION_MODELS.values() if m in table.columns]].fillna(0.0)
        table.index.name = "Channel"
        st.dataframe(
            table,
            key="campaigns_models_by_channel",
            column_config={c: st.column_config.NumberColumn(format="%,.1f") for c in table.columns},
        )
        by_campaign_models = queries.attribution_by_campaign(
            start, end, kind, chosen_platforms, include_no_campaign=False
        )
        if not by_campaign_models.empty:
            st.caption(
                f"Which campaigns get the credit for {kind} conversions under each model, {period} "
                "(touches without a campaign are in the channel view above)."
            )
            st.altair_chart(charts.model_comparison(by_campaign_models, "campaign_name", value, title), width="stretch")

st.subheader("How far the conversations each campaign started progressed")
with_organic = st.toggle("Include conversations without a campaign", value=True, key="campaigns_no_campaign")
progress = queries.campaign_funnel(start, end, chosen_platforms, with_organic)
if progress.empty:
    st.info(f"No conversation entered the funnel from these campaigns in {period}.")
else:
    st.caption(
        "Do the conversations a campaign starts turn into customers? Share of each campaign's funnel entries "
        f"(entry month {period}) that reached each stage, skips included."
    )
    st.altair_chart(charts.campaign_funnel_heatmap(progress), width="stretch")
    stage_names = progress.sort_values("stage_order")["stage_name"].drop_duplicates().tolist()
    reached = progress.pivot_table(
        index=["campaign_name", "platform"], columns="stage_name", values="reached_count", aggfunc="sum"
    )[stage_names]
    cohort = progress.groupby(["campaign_name", "platform"])[["funnel_entries", "won_count", "lost_count"]].max()
    table = cohort.join(reached).sort_values("funnel_entries", ascending=False).reset_index()
    table["platform"] = table["platform"].map(queries.platform_name)
    st.dataframe(
        table,
        hide_index=True,
        key="campaigns_progress",
        column_config={
            "campaign_name": "Campaign",
            "platform": "Platform",
            "funnel_entries": st.column_config.NumberColumn("Conversations started", format="localized"),
            "won_count": st.column_config.NumberColumn("Won", format="localized"),
            "lost_count": st.column_config.NumberColumn("Lost", format="localized"),
            **{stage: st.column_config.NumberColumn(f"Reached {stage}", format="localized") for stage in stage_names},
        },
    )
