"""Contact: one contact at a time (no bulk display of personal data): identities, stage history as a
timeline, conversations, orders, marketing touches and segment memberships. E-mails, phones, names and
other personal identifiers are masked unless LIFECYCLE_DASHBOARD_SHOW_PERSONAL_DATA is set (README)."""

import pandas as pd
import streamlit as st

from dashboards import charts, queries, ui

queries.require(*queries.CONTACT_MARTS)
show_personal = ui.personal_data_allowed()

lookup = st.text_input(
    "Contact id, e-mail or phone",
    key="contact_lookup",
    placeholder="a contact id, jane@example.com or +447700900123",
    help=(
        "The platform contact id (dim_contacts.contact_id; segment exports and `lifecycle segments preview` show "
        "it), or any e-mail or phone the contact was seen with (exact match; e-mails ignore case, phones ignore "
        "spaces and dashes)."
    ),
).strip()
if not lookup:
    st.info("Enter a contact id, e-mail or phone to see the contact's identities, stage history, conversations, "
            "orders, touches and segments.")
    st.stop()

matches = queries.find_contacts(lookup)
if not matches:
    st.warning("No contact with this id, e-mail or phone.")
    st.stop()
contact_id = matches[0]
if len(matches) > 1:
    # a phone or e-mail shared by several contacts (a family phone, a shared inbox): pick one
    contact_id = st.selectbox(f"{len(matches)} contacts share this identifier", matches, key="contact_pick")

profile = queries.contact_profile(contact_id)
if profile is None:  # the serving copy was swapped between the two queries
    st.warning("No contact with this id, e-mail or phone.")
    st.stop()

cards = st.columns(4)
cards[0].metric("Current stage", profile["current_stage"] or "–", border=True)
cards[1].metric(
    "Lost stage",
    profile["current_lost_stage"] or "–",
    border=True,
    help=f"Reason: {profile['current_lost_reason']}" if profile["current_lost_reason"] else None,
)
cards[2].metric(
    "Funnel entry", f"{profile['funnel_entry_at']:%Y-%m-%d}" if profile["funnel_entry_at"] else "–", border=True
)
cards[3].metric("First channel", profile["first_channel"] or "–", border=True)
if show_personal:
    who = " ".join(str(p) for p in (profile["first_name"], profile["last_name"]) if p) or "–"
    email, phone = profile["email"] or "–", profile["phone"] or "–"
else:
    who = f"{ui.mask_name(profile['first_name'])} {ui.mask_name(profile['last_name'])}"
    email, phone = ui.mask_email(profile["email"]), ui.mask_phone(profile["phone"])
opted_out = f" · opted out of {profile['opted_out_channels']}" if profile["opted_out_channels"] else ""
st.caption(
    f"{who} · email {email} · phone {phone} · country {profile['country_code'] or '–'} · "
    f"channels {profile['channels'] or '–'}{opted_out}" + ("" if show_personal else " · personal data masked")
)

# ---- stage history ------------------------------------------------------------------------------------
st.subheader("Stage history")
spells = queries.contact_spells(contact_id)
conversations = queries.contact_conversations(contact_id)
touches = queries.contact_touches(contact_id)
if spells.empty:
    st.info("This contact has no stage history (it never entered the funnel).")
else:
    known = [spells["entered_at"].max(), spells["exited_at"].max()]
    known += [conversations["opened_at"].max(), touches["occurred_at"].max()]
    until = max(pd.Timestamp(t) for t in known if not pd.isna(t))
    st.altair_chart(charts.contact_stage_timeline(spells, until), width="stretch")
    st.caption(
        "Which stages did this contact go through, and how long did it stay in each? One bar per stay, from "
        "entry to exit; the current stage runs to the latest evidence about the contact."
    )
    st.dataframe(
        spells.assign(
            duration_seconds=spells["duration_seconds"].map(ui.fmt_duration),
            lost_reason=spells["lost_reason"].fillna(""),
        ),
        hide_index=True,
        column_config={
            "stage_name": "Stage",
            "is_lost_stage": st.column_config.CheckboxColumn("Lost"),
            "entered_at": st.column_config.DatetimeColumn("Entered (UTC)", format="YYYY-MM-DD HH:mm"),
            "exited_at": st.column_config.DatetimeColumn("Exited (UTC)", format="YYYY-MM-DD HH:mm"),
            "duration_seconds": "Time in stage",
            "entered_by_signal": "Moved by",
            "lost_reason": "Lost reason",
            "is_current": st.column_config.CheckboxColumn("Current"),
        },
    )

# ---- identities ---------------------------------------------------------------------------------------
st.subheader("Identities")
identities = queries.contact_identities(profile)
if identities.empty:
    st.info("No identities recorded.")
else:
    if not show_personal:
        identities["identifier_value"] = [
            ui.mask_identifier(t, v)
            for t, v in zip(identities["identifier_type"], identities["identifier_value"], strict=True)
        ]
    st.dataframe(
        identities,
        hide_index=True,
        column_config={
            "identifier_type": "Type",
            "identifier_value": "Value" if show_personal else "Value (masked)",
        },
    )
    st.caption("Which channel ids, e-mails, phones and CRM records were resolved to this one contact?")

# ---- conversations --------------------------------------------------------------------------------------
st.subheader("Conversations")
if conversations.empty:
    st.info("This contact has no conversation.")
else:
    st.dataframe(
        conversations.assign(first_response_seconds=conversations["first_response_seconds"].map(ui.fmt_duration)),
        hide_index=True,
        column_config={
            "conversation_id": "Conversation",
            "channel": "Channel",
            "source": "Started from",
            "opened_at": st.column_config.DatetimeColumn("Opened (UTC)", format="YYYY-MM-DD HH:mm"),
            "first_response_seconds": "First response",
            "first_responder_type": "Answered by",
            "assignee_type": "Assignee",
            "team": "Team",
            "inbound_messages": st.column_config.NumberColumn("Messages in", format="%d"),
            "outbound_messages": st.column_config.NumberColumn("Messages out", format="%d"),
            "closed_at": st.column_config.DatetimeColumn("Closed (UTC)", format="YYYY-MM-DD HH:mm"),
            "resolution": "Resolution",
        },
    )
    st.caption("How and where did this contact talk to the business, and how fast was it answered?")

# ---- orders ---------------------------------------------------------------------------------------------
st.subheader("Orders and value")
value = queries.contact_value(contact_id)
if value is None:
    st.info("This contact has not ordered.")
else:
    currency = value["reporting_currency"] or ""
    money = [*st.columns(4), *st.columns(4)]
    money[0].metric("Orders", ui.fmt_int(value["orders"]), border=True)
    money[1].metric("Revenue", ui.fmt_money(value["revenue"], currency), border=True, help="Net of refunds.")
    money[2].metric("Average order", ui.fmt_money(value["aov"], currency), border=True)
    money[3].metric("Last order", f"{value['last_order_at']:%Y-%m-%d}" if value["last_order_at"] else "–", border=True)
    money[4].metric("Predicted CLV", ui.fmt_money(value["predicted_clv"], currency), border=True)
    money[5].metric("Churn risk", str(value["churn_risk_band"] or "–").capitalize(), border=True)
    money[6].metric("RFM cell", value["rfm_cell"] or "–", border=True)
    money[7].metric(
        "First order", f"{value['first_order_at']:%Y-%m-%d}" if value["first_order_at"] else "–", border=True
    )

# ---- touches --------------------------------------------------------------------------------------------
st.subheader("Marketing touches")
if touches.empty:
    st.info("No ad click, campaign visit, form or inbound touch is recorded for this contact.")
else:
    st.dataframe(
        touches,
        hide_index=True,
        column_config={
            "occurred_at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm"),
            "touchpoint_type": "Touch",
            "marketing_channel": "Channel",
            "platform": "Platform",
            "campaign_name": "Campaign",
            "ad_set_name": "Ad set",
            "ad_name": "Ad",
        },
    )
    st.caption("Which campaigns and channels reached this contact, newest first (credited or not).")

# ---- segments -------------------------------------------------------------------------------------------
st.subheader("Segments")
segments = queries.contact_segments(contact_id)
if segments.empty:
    st.info("This contact is in no segment now.")
else:
    st.dataframe(
        segments,
        hide_index=True,
        column_config={"segment": "Segment", "rows": st.column_config.NumberColumn("Rows", format="%d")},
    )
    st.caption("Which segments (and so which syncs) hold this contact now? Rows > 1: several events, e.g. conversions.")
