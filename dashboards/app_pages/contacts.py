"""Contacts: one contact at a time (no bulk display of personal data); emails and phones masked."""

import streamlit as st

from dashboards import queries, ui

queries.require(*queries.CONTACT_MARTS)

contact_id = st.text_input(
    "Contact id",
    key="contact_id",
    placeholder="e.g. c_0123abcd",
    help="The platform contact id (dim_contacts.contact_id).",
).strip()
if not contact_id:
    st.info("Enter a contact id to see its stage history and identities.")
    st.stop()

profile = queries.contact_profile(contact_id)
if profile is None:
    st.warning("No contact with this id.")
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
st.caption(
    f"Email {ui.mask_email(profile['email'])} · phone {ui.mask_phone(profile['phone'])} · "
    f"country {profile['country_code'] or '–'}"
)

st.subheader("Stage history")
spells = queries.contact_spells(contact_id)
if spells.empty:
    st.info("This contact has no stage history.")
else:
    st.dataframe(
        spells.assign(duration_seconds=spells["duration_seconds"].map(ui.fmt_duration)),
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

st.subheader("Identities")
identities = queries.contact_identities(profile)
if identities.empty:
    st.info("No identities recorded.")
else:
    identities["identifier_value"] = [
        ui.mask_identifier(t, v)
        for t, v in zip(identities["identifier_type"], identities["identifier_value"], strict=True)
    ]
    st.dataframe(
        identities,
        hide_index=True,
        column_config={
            "identifier_type": "Type",
            "identifier_value": "Value (masked)",
        },
    )
