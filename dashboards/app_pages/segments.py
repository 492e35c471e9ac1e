"""Segments: every segment with its size, definition and last sync per destination; a masked preview and a
CSV download; and the segment builder (filters -> live count, masked preview, CSV, a YAML segment file)."""

import functools
import json

import streamlit as st
import yaml

from dashboards import charts, personal_data, queries, segment_builder, ui

queries.require(*queries.SEGMENT_MARTS)

def _segment_csv(model: str, sensitive: tuple[str, ...], show: bool) -> bytes:
    return personal_data.csv_bytes(queries.segment_rows(model), sensitive, show)


def _builder_csv(filters: dict, show: bool) -> bytes:
    return personal_data.csv_bytes(queries.builder_rows(filters), (), show)


MASK_NOTE = (
    "E-mails, phones and names are masked. Whoever runs the dashboards for people allowed to see them can set "
    f"`{personal_data.SETTING}=1`."
)

catalog_tab, builder_tab = st.tabs(["All segments", "Segment builder"])

# --------------------------------------------------------------------------------------------------
with catalog_tab:
    catalog = queries.segment_catalog()
    if catalog.empty:
        st.info(
            "No segment models yet. Segments are the dbt models in `models/segments/` and the YAML files in "
            "`activation/segments/`; run `lifecycle run` to build them, or make one with the segment builder."
        )
    else:
        syncs = queries.segment_syncs()
        cards = st.columns(3)
        cards[0].metric("Segments", ui.fmt_int(len(catalog)), border=True)
        cards[1].metric(
            "Synced segments",
            ui.fmt_int(syncs["segment_model"].nunique()),
            border=True,
            help="Segments at least one sync (activation/syncs/) has sent, or dry-run, to a destination.",
        )
        cards[2].metric(
            "From YAML files",
            ui.fmt_int((catalog["definition_kind"] == "yaml").sum()),
            border=True,
            help="Segments defined by a YAML file in activation/segments/ (the rest are hand-written SQL models).",
        )

        table = queries.segment_overview(catalog, syncs)
        table["definition_kind"] = table["definition_kind"].map({"yaml": "YAML file", "sql": "SQL model"})
        table["destinations"] = table["destinations"].fillna("not synced")
        st.dataframe(
            table[["segment_name", "contacts", "description", "definition_kind", "destinations", "last_sync_at"]],
            hide_index=True,
            column_config={
                "segment_name": "Segment",
                "contacts": st.column_config.NumberColumn("Contacts", format="localized"),
                "description": st.column_config.TextColumn("Definition", width="large"),
                "definition_kind": "Defined in",
                "destinations": "Synced to",
                "last_sync_at": st.column_config.DatetimeColumn("Last sync (UTC)", format="YYYY-MM-DD HH:mm"),
            },
        )
        st.altair_chart(charts.segment_sizes(catalog), width="stretch")
        st.caption("How many contacts does each segment hold right now? (rows of each segment model)")

        st.subheader("Last sync per destination")
        if syncs.empty:
            st.info(
                "No sync has run yet: `lifecycle sync run NAME --dry-run` shows what a sync would send "
                "(the syncs are the files in `activation/syncs/`)."
            )
        else:
            names = dict(zip(catalog["segment_model"], catalog["segment_name"], strict=True))
            st.dataframe(
                syncs.assign(segment=syncs["segment_model"].map(names).fillna(syncs["segment_model"]))[
                    [
                        "segment",
                        "destination",
                        "sync_name",
                        "mode",
                        "last_status",
                        "last_run_at",
                        "last_success_at",
                        "rows_total",
                        "rows_sent",
                        "rows_failed",
                    ]
                ],
                hide_index=True,
                column_config={
                    "segment": "Segment",
                    "destination": "Destination",
                    "sync_name": "Sync",
                    "mode": "Mode",
                    "last_status": "Last status",
                    "last_run_at": st.column_config.DatetimeColumn("Last run (UTC)", format="YYYY-MM-DD HH:mm"),
                    "last_success_at": st.column_config.DatetimeColumn(
                        "Last delivered (UTC)", format="YYYY-MM-DD HH:mm"
                    ),
                    "rows_total": st.column_config.NumberColumn("Rows", format="localized"),
                    "rows_sent": st.column_config.NumberColumn("Sent", format="localized"),
                    "rows_failed": st.column_config.NumberColumn("Failed", format="localized"),
                },
            )

        st.subheader("Preview")
        sizes = dict(zip(catalog["segment_name"], catalog["contacts"], strict=True))
        chosen = st.selectbox(
            "Segment",
            catalog["segment_name"].tolist(),
            key="segment_preview",
            format_func=lambda n: f"{n} ({ui.fmt_int(sizes[n])} contacts)",
        )
        row = catalog[catalog["segment_name"] == chosen].iloc[0]
        st.markdown(f"**{row['description'] or chosen}**")
        if row["definition_kind"] == "yaml" and row["definition_filters"]:
            st.caption(f"Defined in `{row['definition_file']}`:")
            st.code(
                yaml.safe_dump(
                    {"filters": json.loads(row["definition_filters"])},
                    sort_keys=False,
                    default_flow_style=None,
                    allow_unicode=True,
                ),
                language="yaml",
            )
        else:
            st.caption(f"A hand-written SQL model: `{row['definition_file']}`.")
        sensitive = (row["sensitive_columns"] or "").split(",")
        if ui.fmt_int(row["contacts"]) == "–":
            st.info("This segment's model is not built in the warehouse yet: run `lifecycle run`.")
        elif int(row["contacts"]) == 0:
            st.info("Nobody is in this segment right now.")
        else:
            st.dataframe(
                personal_data.for_display(
                    queries.segment_rows(row["segment_model"], queries.SEGMENT_PREVIEW_ROWS), sensitive
                ),
                hide_index=True,
            )
            st.caption(
                f"The first {queries.SEGMENT_PREVIEW_ROWS} of {ui.fmt_int(row['contacts'])} contacts. "
                + ("" if personal_data.allowed() else MASK_NOTE)
            )
            st.download_button(
                "Download CSV",
                # built when clicked (a whole segment, masked row by row, is too slow for every page run)
                functools.partial(_segment_csv, row["segment_model"], tuple(sensitive), personal_data.allowed()),
                file_name=f"{chosen}.csv",
                mime="text/csv",
                key="segment_csv",
                icon=":material/download:",
                help="The whole segment"
                + (
                    "."
                    if personal_data.allowed()
                    else ", masked like the preview (`lifecycle segments export "
                    f"{chosen}` writes it unmasked for those allowed)."
                ),
            )

# --------------------------------------------------------------------------------------------------
with builder_tab:
    queries.require(*queries.BUILDER_MARTS)
    st.caption(
        "Pick filters: a contact is in the segment when it passes all of them. The count and the preview "
        "update as you go; the YAML file at the bottom is the segment for an analytics engineer to commit."
    )
    stages = queries.builder_stages()
    ranges = queries.builder_ranges()
    campaigns = queries.builder_campaigns()
    campaign_names = dict(zip(campaigns["entry_campaign"], campaigns["campaign_name"], strict=True))
    filters: dict = {}

    left, right = st.columns(2)
    with left:
        filters["stage"] = st.multiselect(
            "Current stage", stages.loc[~stages["is_lost_stage"], "stage_name"].tolist(), key="builder_stage"
        )
        filters["lost_stage"] = st.multiselect(
            "Lost stage",
            stages.loc[stages["is_lost_stage"], "stage_name"].tolist(),
            key="builder_lost_stage",
            help="With a current stage as well, a contact in either one matches.",
        )
        filters["channel"] = st.multiselect(
            "Has written to us on",
            queries.builder_channels(),
            key="builder_channel",
            format_func=segment_builder.channel_label,
        )
        consent_channel = st.selectbox(
            "Can be messaged on (consent)",
            [None, *queries.builder_channels()],
            key="builder_consent_channel",
            format_func=segment_builder.channel_label,
            help="Never opted out on this channel (and has used it, or it is email with a known address).",
        )
        opt_in = st.checkbox(
            "Only with an explicit opt-in there", key="builder_consent_opt_in", disabled=consent_channel is None
        )
        if consent_channel:
            filters["consent"] = (
                {"channel": consent_channel, "require_opt_in": True} if opt_in else {"channel": consent_channel}
            )
        filters["campaign"] = st.multiselect(
            "Campaign of entry",
            campaigns["entry_campaign"].tolist(),
            key="builder_campaign",
            format_func=lambda c: campaign_names.get(c, c),
            help="The campaign of the contact's first touchpoint.",
        )
    with right:
        max_inbound = int(ranges["max_days_since_last_inbound"] or 0)
        if st.toggle("Days since the last message from the contact", key="builder_inbound_on") and max_inbound:
            low, high = st.slider(
                "Days since last message", 0, max_inbound, (0, min(30, max_inbound)), key="builder_inbound_days"
            )
            filters["days_since_last_inbound"] = segment_builder.value_range(low, high)
        max_order = int(ranges["max_days_since_last_order"] or 0)
        if st.toggle("Days since the last order", key="builder_order_on") and max_order:
            low, high = st.slider(
                "Days since last order", 0, max_order, (min(60, max_order), max_order), key="builder_order_days"
            )
            filters["days_since_last_order"] = segment_builder.value_range(low, high)
        filters["rfm_cell"] = st.multiselect("RFM cell", queries.builder_rfm_cells(), key="builder_rfm")
        if ranges["max_clv"] is not None and st.toggle("Predicted CLV", key="builder_clv_on"):
            clv_low, clv_high = int(ranges["min_clv"] // 1), int(-(-ranges["max_clv"] // 1))
            low, high = st.slider(
                "Predicted customer lifetime value", clv_low, clv_high, (clv_low, clv_high), key="builder_clv"
            )
            filters["clv"] = segment_builder.value_range(low, high)
        if ranges["churn_scored"] and st.toggle("Churn risk", key="builder_churn_on"):
            low, high = st.slider(
                "Churn risk (0 = sure to stay, 1 = gone)", 0.0, 1.0, (0.5, 1.0), step=0.05, key="builder_churn"
            )
            filters["churn_risk"] = segment_builder.value_range(low, high)

    filters = segment_builder.clean_filters(filters)
    if not filters:
        st.info("Pick at least one filter to see who is in the segment.")
    else:
        count = queries.builder_count(filters)
        st.metric("Contacts in the segment", ui.fmt_int(count), border=True)
        if count == 0:
            st.info("No contact matches all these filters: widen a range or drop a filter.")
        else:
            st.dataframe(
                personal_data.for_display(queries.builder_rows(filters, queries.SEGMENT_PREVIEW_ROWS)),
                hide_index=True,
            )
            st.caption(
                f"The first {queries.SEGMENT_PREVIEW_ROWS} of {ui.fmt_int(count)} contacts. "
                + ("" if personal_data.allowed() else MASK_NOTE)
            )
            st.download_button(
                "Download CSV",
                functools.partial(_builder_csv, dict(filters), personal_data.allowed()),
                file_name="segment.csv",
                mime="text/csv",
                key="builder_csv",
                icon=":material/download:",
            )

        st.subheader("Save as a YAML segment")
        taken = set(queries.segment_catalog()["segment_name"])
        name = st.text_input("File name", value="new_segment", key="builder_name", max_chars=56).strip()
        suggested = segment_builder.describe(filters)
        description = (
            st.text_input(
                "Description",
                key="builder_description",
                placeholder=suggested,
                help="Leave empty to use the suggested one (shown greyed out).",
            ).strip()
            or suggested
        )
        problem = segment_builder.name_problem(name, taken)
        if problem:
            st.info(problem)
        elif not description:
            st.info("Write a description: it becomes the segment's documentation.")
        else:
            text = segment_builder.segment_yaml(name, description, filters)
            st.code(text, language="yaml")
            st.caption(
                f"Save it as `activation/segments/{name}.yml`, run `lifecycle segments generate` and commit both: "
                f"the model `seg_{name}` then holds these {ui.fmt_int(count)} contacts (as of the next build)."
            )
            st.download_button(
                "Download the YAML file",
                text.encode("utf-8"),
                file_name=f"{name}.yml",
                mime="application/x-yaml",
                key="builder_yaml",
                icon=":material/download:",
            )
