"""The raw tables: one shape per source, whoever writes them.

The demo generator, the API connectors and the file-drop loader all write exactly these tables, so
dbt staging is shared by demo and real data. This registry is the single definition: the warehouse
bootstrap creates the tables from it, writers merge into them on the primary key, and
``docs/raw_tables.md`` is generated from it (``python -m ingestion.raw_tables``).

Conventions
- Timestamps are ``timestamp`` in UTC without zone: every writer converts to UTC before writing.
- Money is ``decimal(18,2)`` in the currency of the row's currency column.
- Lists are JSON arrays stored as ``varchar``.
- Every table also gets ``_loaded_at`` (UTC time the row was last written by a loader).
- Columns holding personal data are listed in ``sensitive``; they never go to logs.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import duckdb

from warehouse_io import LOADED_AT, MONEY, TS, Column, Table, ensure_ops_tables, ensure_table

RawTable = Table

__all__ = ["LOADED_AT", "MONEY", "RAW_TABLES", "TS", "Column", "RawTable", "ensure_raw_tables", "table", "tables_in"]


def _t(schema: str, name: str, description: str, pk: tuple[str, ...], cols: list[tuple[str, str, str]],
       sensitive: tuple[str, ...] = ()) -> RawTable:
    return Table(schema, name, description, tuple(Column(*c) for c in cols), pk, frozenset(sensitive), loaded_at=True)


# --------------------------------------------------------------------------------------------------
# respond.io (messaging inbox, API v2)
# --------------------------------------------------------------------------------------------------
RESPONDIO = [
    _t("raw_respondio", "contacts", "Contacts of the respond.io workspace (one row per respond.io contact).",
       ("contact_id",), [
           ("contact_id", "bigint", "respond.io contact id."),
           ("first_name", "varchar", "First name."),
           ("last_name", "varchar", "Last name."),
           ("phone", "varchar", "Phone number as stored by respond.io (usually E.164, may be unformatted)."),
           ("email", "varchar", "Email address as entered."),
           ("language", "varchar", "ISO 639-1 language code."),
           ("country_code", "varchar", "ISO 3166-1 alpha-2 country code."),
           ("lifecycle", "varchar", "Current lifecycle stage name in respond.io (null when none)."),
           ("tags", "varchar", "Current tags, JSON array of strings."),
           ("assignee_user_id", "bigint", "User currently assigned to the contact."),
           ("created_at", TS, "When the contact was created (UTC)."),
           ("updated_at", TS, "Last modification (UTC); incremental cursor."),
       ], sensitive=("first_name", "last_name", "phone", "email")),
    _t("raw_respondio", "contact_channels", "Messaging channels a contact is reachable on.",
       ("contact_id", "channel_id"), [
           ("contact_id", "bigint", "respond.io contact id."),
           ("channel_id", "bigint", "respond.io channel (workspace integration) id."),
           ("channel_type", "varchar", "whatsapp, instagram, messenger, tiktok, email or webchat."),
           ("channel_user_id", "varchar", "The contact's id on that channel (phone, IGSID, PSID, address...)."),
           ("created_at", TS, "When the contact first appeared on the channel (UTC)."),
       ], sensitive=("channel_user_id",)),
    _t("raw_respondio", "users", "Workspace users: human agents and AI agents.", ("user_id",), [
        ("user_id", "bigint", "respond.io user id."),
        ("first_name", "varchar", "First name of the agent."),
        ("last_name", "varchar", "Last name of the agent."),
        ("email", "varchar", "Login email of the agent."),
        ("role", "varchar", "owner, manager, agent."),
        ("agent_type", "varchar", "human or ai_agent."),
        ("team", "varchar", "Team name."),
        ("created_at", TS, "When the user was created (UTC)."),
    ], sensitive=("first_name", "last_name", "email")),
    _t("raw_respondio", "conversations", "Conversations (opened to closed) between a contact and the business.",
       ("conversation_id",), [
           ("conversation_id", "bigint", "respond.io conversation id."),
           ("contact_id", "bigint", "Contact of the conversation."),
           ("channel_id", "bigint", "Channel the conversation happened on."),
           ("channel_type", "varchar", "whatsapp, instagram, messenger, tiktok, email or webchat."),
           ("opened_at", TS, "When the conversation was opened (UTC)."),
           ("opened_by", "varchar", "contact, user, workflow, broadcast or api."),
           ("broadcast_id", "bigint", "Broadcast whose reply opened the conversation, if any."),
           ("assignee_user_id", "bigint", "User (human or AI agent) assigned to the conversation."),
           ("assignee_team", "varchar", "Team assigned to the conversation."),
           ("closed_at", TS, "When the conversation was closed (UTC); null while open."),
           ("closing_category", "varchar", "Closing category chosen at close (resolution)."),
           ("updated_at", TS, "Last modification (UTC); incremental cursor."),
       ]),
    _t("raw_respondio", "messages", "Messages of conversations, both directions.", ("message_id",), [
        ("message_id", "bigint", "respond.io message id."),
        ("conversation_id", "bigint", "Conversation of the message."),
        ("contact_id", "bigint", "Contact of the message."),
        ("channel_id", "bigint", "Channel of the message."),
        ("channel_type", "varchar", "whatsapp, instagram, messenger, tiktok, email or webchat."),
        ("traffic", "varchar", "incoming (from the contact) or outgoing."),
        ("sender_type", "varchar", "contact, user, ai_agent, workflow, broadcast or echo."),
        ("sender_user_id", "bigint", "User or AI agent who sent an outgoing message."),
        ("message_type", "varchar", "text, attachment, template, quick_reply..."),
        ("referral_source_type", "varchar", "ad when the message came from a click-to-message ad."),
        ("referral_ad_id", "varchar", "Ad id of the click-to-message referral."),
        ("referral_ctwa_clid", "varchar", "Click id of a click-to-WhatsApp ad referral."),
        ("sent_at", TS, "When the message was sent (UTC)."),
    ], sensitive=("referral_ctwa_clid",)),
    _t("raw_respondio", "lifecycle_events", "Explicit lifecycle stage changes made in the inbox.", ("event_id",), [
        ("event_id", "varchar", "Event id."),
        ("contact_id", "bigint", "Contact whose stage changed."),
        ("from_stage", "varchar", "Stage before the change (null when none)."),
        ("to_stage", "varchar", "Stage after the change (null when cleared)."),
        ("changed_by_type", "varchar", "user, ai_agent, workflow or api."),
        ("changed_by_user_id", "bigint", "User or AI agent who made the change."),
        ("changed_at", TS, "When the change happened (UTC)."),
    ]),
    _t("raw_respondio", "tag_events", "Tags added to or removed from contacts.", ("event_id",), [
        ("event_id", "varchar", "Event id."),
        ("contact_id", "bigint", "Contact."),
        ("tag", "varchar", "Tag name, e.g. qualified, unqualified, quote-sent, lost-to-competitor."),
        ("action", "varchar", "added or removed."),
        ("changed_by_type", "varchar", "user, ai_agent, workflow or api."),
        ("changed_by_user_id", "bigint", "User or AI agent who made the change."),
        ("event_at", TS, "When the tag changed (UTC)."),
    ]),
    _t("raw_respondio", "consent_events", "Per-channel opt-ins and opt-outs.", ("event_id",), [
        ("event_id", "varchar", "Event id."),
        ("contact_id", "bigint", "Contact."),
        ("channel_type", "varchar", "Channel the consent is for (whatsapp, email, ...)."),
        ("status", "varchar", "opted_in or opted_out."),
        ("source", "varchar", "Where the consent was given: keyword, form, agent, api, import."),
        ("event_at", TS, "When the consent changed (UTC)."),
    ]),
    _t("raw_respondio", "survey_responses", "NPS and CSAT answers collected in conversations.", ("response_id",), [
        ("response_id", "varchar", "Response id."),
        ("contact_id", "bigint", "Contact who answered."),
        ("conversation_id", "bigint", "Conversation the survey was sent in."),
        ("survey_type", "varchar", "nps (0-10) or csat (1-5)."),
        ("score", "integer", "Answer."),
        ("answered_at", TS, "When the answer came (UTC)."),
    ]),
]

# --------------------------------------------------------------------------------------------------
# Meta Marketing API
# --------------------------------------------------------------------------------------------------
META_ADS = [
    _t("raw_meta_ads", "campaigns", "Meta ad campaigns.", ("campaign_id",), [
        ("campaign_id", "varchar", "Campaign id."),
        ("account_id", "varchar", "Ad account id (without act_)."),
        ("campaign_name", "varchar", "Campaign name."),
        ("objective", "varchar", "OUTCOME_ENGAGEMENT, OUTCOME_LEADS, OUTCOME_SALES..."),
        ("status", "varchar", "ACTIVE, PAUSED, ARCHIVED."),
        ("created_at", TS, "created_time (UTC)."),
        ("updated_at", TS, "updated_time (UTC)."),
    ]),
    _t("raw_meta_ads", "adsets", "Meta ad sets.", ("adset_id",), [
        ("adset_id", "varchar", "Ad set id."),
        ("campaign_id", "varchar", "Campaign id."),
        ("account_id", "varchar", "Ad account id."),
        ("adset_name", "varchar", "Ad set name."),
        ("destination_type", "varchar", "WHATSAPP, MESSENGER, INSTAGRAM_DIRECT, WEBSITE..."),
        ("optimization_goal", "varchar", "CONVERSATIONS, LINK_CLICKS, OFFSITE_CONVERSIONS..."),
        ("status", "varchar", "ACTIVE, PAUSED, ARCHIVED."),
        ("created_at", TS, "created_time (UTC)."),
        ("updated_at", TS, "updated_time (UTC)."),
    ]),
    _t("raw_meta_ads", "ads", "Meta ads.", ("ad_id",), [
        ("ad_id", "varchar", "Ad id."),
        ("adset_id", "varchar", "Ad set id."),
        ("campaign_id", "varchar", "Campaign id."),
        ("account_id", "varchar", "Ad account id."),
        ("ad_name", "varchar", "Ad name."),
        ("status", "varchar", "ACTIVE, PAUSED, ARCHIVED."),
        ("created_at", TS, "created_time (UTC)."),
        ("updated_at", TS, "updated_time (UTC)."),
    ]),
    _t("raw_meta_ads", "insights_daily", "Daily ad-level insights (level=ad, time_increment=1).",
       ("date_start", "ad_id"), [
           ("date_start", "date", "Day of the figures (ad account time zone)."),
           ("ad_id", "varchar", "Ad id."),
           ("adset_id", "varchar", "Ad set id."),
           ("campaign_id", "varchar", "Campaign id."),
           ("account_id", "varchar", "Ad account id."),
           ("account_currency", "varchar", "ISO 4217 currency of spend."),
           ("spend", MONEY, "Amount spent."),
           ("impressions", "bigint", "Impressions."),
           ("reach", "bigint", "Accounts reached."),
           ("clicks", "bigint", "All clicks."),
           ("inline_link_clicks", "bigint", "Link clicks."),
           ("messaging_conversations_started", "bigint",
            "actions[onsite_conversion.messaging_conversation_started_7d]."),
           ("leads", "bigint", "actions[lead]."),
       ]),
]

# --------------------------------------------------------------------------------------------------
# TikTok Business API
# --------------------------------------------------------------------------------------------------
TIKTOK_ADS = [
    _t("raw_tiktok_ads", "campaigns", "TikTok campaigns.", ("campaign_id",), [
        ("campaign_id", "varchar", "Campaign id."),
        ("advertiser_id", "varchar", "Advertiser id."),
        ("campaign_name", "varchar", "Campaign name."),
        ("objective_type", "varchar", "TRAFFIC, LEAD_GENERATION, CONVERSIONS, ..."),
        ("operation_status", "varchar", "ENABLE, DISABLE."),
        ("created_at", TS, "create_time (UTC)."),
        ("updated_at", TS, "modify_time (UTC)."),
    ]),
    _t("raw_tiktok_ads", "adgroups", "TikTok ad groups.", ("adgroup_id",), [
        ("adgroup_id", "varchar", "Ad group id."),
        ("campaign_id", "varchar", "Campaign id."),
        ("advertiser_id", "varchar", "Advertiser id."),
        ("adgroup_name", "varchar", "Ad group name."),
        ("optimization_goal", "varchar", "CLICK, CONVERT, LEAD_GENERATION..."),
        ("operation_status", "varchar", "ENABLE, DISABLE."),
        ("created_at", TS, "create_time (UTC)."),
        ("updated_at", TS, "modify_time (UTC)."),
    ]),
    _t("raw_tiktok_ads", "ads", "TikTok ads.", ("ad_id",), [
        ("ad_id", "varchar", "Ad id."),
        ("adgroup_id", "varchar", "Ad group id."),
        ("campaign_id", "varchar", "Campaign id."),
        ("advertiser_id", "varchar", "Advertiser id."),
        ("ad_name", "varchar", "Ad name."),
        ("operation_status", "varchar", "ENABLE, DISABLE."),
        ("created_at", TS, "create_time (UTC)."),
        ("updated_at", TS, "modify_time (UTC)."),
    ]),
    _t("raw_tiktok_ads", "report_daily", "Daily ad-level report (BASIC, AUCTION_AD, stat_time_day).",
       ("stat_time_day", "ad_id"), [
           ("stat_time_day", "date", "Day of the figures (advertiser time zone)."),
           ("ad_id", "varchar", "Ad id."),
           ("adgroup_id", "varchar", "Ad group id."),
           ("campaign_id", "varchar", "Campaign id."),
           ("advertiser_id", "varchar", "Advertiser id."),
           ("currency", "varchar", "ISO 4217 currency of spend."),
           ("spend", MONEY, "Amount spent."),
           ("impressions", "bigint", "Impressions."),
           ("clicks", "bigint", "Clicks."),
           ("conversion", "bigint", "Optimisation-event conversions."),
       ]),
]

# --------------------------------------------------------------------------------------------------
# HubSpot CRM v3
# --------------------------------------------------------------------------------------------------
HUBSPOT = [
    _t("raw_hubspot", "contacts", "HubSpot contacts with the properties the product reads.", ("contact_id",), [
        ("contact_id", "bigint", "hs_object_id."),
        ("email", "varchar", "email property."),
        ("phone", "varchar", "phone property (free text)."),
        ("mobilephone", "varchar", "mobilephone property (free text)."),
        ("firstname", "varchar", "firstname."),
        ("lastname", "varchar", "lastname."),
        ("lifecyclestage", "varchar", "Internal value: subscriber, lead, marketingqualifiedlead, "
                                      "salesqualifiedlead, opportunity, customer, evangelist, other."),
        ("hs_lead_status", "varchar", "NEW, OPEN, IN_PROGRESS, UNQUALIFIED, ..."),
        ("createdate", TS, "createdate (UTC)."),
        ("lastmodifieddate", TS, "lastmodifieddate (UTC); incremental cursor."),
        ("archived", "boolean", "Archived in HubSpot."),
    ], sensitive=("email", "phone", "mobilephone", "firstname", "lastname")),
    _t("raw_hubspot", "contact_lifecycle_history", "History of the lifecyclestage property (propertiesWithHistory).",
       ("contact_id", "changed_at", "lifecyclestage"), [
           ("contact_id", "bigint", "Contact."),
           ("lifecyclestage", "varchar", "Value set."),
           ("source_type", "varchar", "CRM_UI, AUTOMATION_PLATFORM, API, ..."),
           ("changed_at", TS, "When it was set (UTC)."),
       ]),
    _t("raw_hubspot", "deals", "HubSpot deals.", ("deal_id",), [
        ("deal_id", "bigint", "hs_object_id."),
        ("dealname", "varchar", "Deal name."),
        ("pipeline", "varchar", "Pipeline id."),
        ("dealstage", "varchar", "Internal stage id, e.g. appointmentscheduled, closedwon, closedlost."),
        ("amount", MONEY, "Deal amount."),
        ("deal_currency_code", "varchar", "ISO 4217 currency."),
        ("closed_lost_reason", "varchar", "closed_lost_reason property."),
        ("hs_is_closed", "boolean", "Deal is closed."),
        ("hs_is_closed_won", "boolean", "Deal is closed won."),
        ("createdate", TS, "createdate (UTC)."),
        ("closedate", TS, "closedate (UTC)."),
        ("lastmodifieddate", TS, "hs_lastmodifieddate (UTC); incremental cursor."),
    ]),
    _t("raw_hubspot", "deal_contacts", "Deal to contact associations.", ("deal_id", "contact_id"), [
        ("deal_id", "bigint", "Deal."),
        ("contact_id", "bigint", "Associated contact."),
    ]),
    _t("raw_hubspot", "deal_stage_history", "History of the dealstage property.", ("deal_id", "changed_at", "dealstage"), [
        ("deal_id", "bigint", "Deal."),
        ("dealstage", "varchar", "Stage set."),
        ("changed_at", TS, "When it was set (UTC)."),
    ]),
]

# --------------------------------------------------------------------------------------------------
# Salesforce REST
# --------------------------------------------------------------------------------------------------
SALESFORCE = [
    _t("raw_salesforce", "leads", "Salesforce Lead records.", ("id",), [
        ("id", "varchar", "Lead Id (18 chars)."),
        ("email", "varchar", "Email."),
        ("phone", "varchar", "Phone."),
        ("mobile_phone", "varchar", "MobilePhone."),
        ("first_name", "varchar", "FirstName."),
        ("last_name", "varchar", "LastName."),
        ("company", "varchar", "Company."),
        ("status", "varchar", "Status (Open - Not Contacted, Working - Contacted, Closed - Converted, ...)."),
        ("lead_source", "varchar", "LeadSource."),
        ("is_converted", "boolean", "IsConverted."),
        ("converted_contact_id", "varchar", "ConvertedContactId."),
        ("converted_opportunity_id", "varchar", "ConvertedOpportunityId."),
        ("created_date", TS, "CreatedDate (UTC)."),
        ("system_modstamp", TS, "SystemModstamp (UTC); incremental cursor."),
        ("is_deleted", "boolean", "IsDeleted."),
    ], sensitive=("email", "phone", "mobile_phone", "first_name", "last_name")),
    _t("raw_salesforce", "contacts", "Salesforce Contact records.", ("id",), [
        ("id", "varchar", "Contact Id."),
        ("account_id", "varchar", "AccountId."),
        ("email", "varchar", "Email."),
        ("phone", "varchar", "Phone."),
        ("mobile_phone", "varchar", "MobilePhone."),
        ("first_name", "varchar", "FirstName."),
        ("last_name", "varchar", "LastName."),
        ("lead_source", "varchar", "LeadSource."),
        ("created_date", TS, "CreatedDate (UTC)."),
        ("system_modstamp", TS, "SystemModstamp (UTC); incremental cursor."),
        ("is_deleted", "boolean", "IsDeleted."),
    ], sensitive=("email", "phone", "mobile_phone", "first_name", "last_name")),
    _t("raw_salesforce", "opportunities", "Salesforce Opportunity records.", ("id",), [
        ("id", "varchar", "Opportunity Id."),
        ("account_id", "varchar", "AccountId."),
        ("contact_id", "varchar", "ContactId (primary contact)."),
        ("name", "varchar", "Name."),
        ("stage_name", "varchar", "StageName."),
        ("amount", MONEY, "Amount."),
        ("currency_iso_code", "varchar", "CurrencyIsoCode (null in single-currency orgs)."),
        ("close_date", "date", "CloseDate."),
        ("is_closed", "boolean", "IsClosed."),
        ("is_won", "boolean", "IsWon."),
        ("loss_reason", "varchar", "Loss reason (custom field Loss_Reason__c when present)."),
        ("lead_source", "varchar", "LeadSource."),
        ("created_date", TS, "CreatedDate (UTC)."),
        ("system_modstamp", TS, "SystemModstamp (UTC); incremental cursor."),
        ("is_deleted", "boolean", "IsDeleted."),
    ]),
    _t("raw_salesforce", "opportunity_history", "OpportunityHistory rows (stage changes).", ("id",), [
        ("id", "varchar", "OpportunityHistory Id."),
        ("opportunity_id", "varchar", "OpportunityId."),
        ("stage_name", "varchar", "StageName after the change."),
        ("amount", MONEY, "Amount after the change."),
        ("close_date", "date", "CloseDate after the change."),
        ("created_date", TS, "When the change happened (UTC); incremental cursor."),
        ("is_deleted", "boolean", "IsDeleted."),
    ]),
]

# --------------------------------------------------------------------------------------------------
# Shop (Shopify Admin API) and storefront events (Shopify web pixel)
# --------------------------------------------------------------------------------------------------
SHOP = [
    _t("raw_shop", "customers", "Shop customers.", ("customer_id",), [
        ("customer_id", "bigint", "Shopify customer id."),
        ("email", "varchar", "Email."),
        ("phone", "varchar", "Phone (E.164 when set by Shopify)."),
        ("first_name", "varchar", "First name."),
        ("last_name", "varchar", "Last name."),
        ("email_marketing_state", "varchar", "subscribed, unsubscribed, not_subscribed."),
        ("created_at", TS, "created_at (UTC)."),
        ("updated_at", TS, "updated_at (UTC); incremental cursor."),
    ], sensitive=("email", "phone", "first_name", "last_name")),
    _t("raw_shop", "orders", "Shop orders.", ("order_id",), [
        ("order_id", "bigint", "Shopify order id."),
        ("order_number", "bigint", "Human order number."),
        ("customer_id", "bigint", "Customer id (null for guest checkouts)."),
        ("email", "varchar", "Email on the order."),
        ("phone", "varchar", "Phone on the order."),
        ("financial_status", "varchar", "paid, pending, refunded, partially_refunded, voided..."),
        ("currency", "varchar", "ISO 4217 currency of the order."),
        ("subtotal_price", MONEY, "Line totals after discounts, before tax and shipping."),
        ("total_discounts", MONEY, "Discounts."),
        ("total_tax", MONEY, "Tax."),
        ("total_price", MONEY, "Total charged."),
        ("source_name", "varchar", "web, pos, shopify_draft_order, or a sales-channel handle."),
        ("landing_site", "varchar", "Landing URL with its query (UTM parameters, click ids)."),
        ("created_at", TS, "created_at (UTC)."),
        ("processed_at", TS, "processed_at (UTC)."),
        ("cancelled_at", TS, "cancelled_at (UTC)."),
        ("updated_at", TS, "updated_at (UTC); incremental cursor."),
    ], sensitive=("email", "phone")),
    _t("raw_shop", "order_lines", "Order line items.", ("line_id",), [
        ("line_id", "bigint", "Line item id."),
        ("order_id", "bigint", "Order."),
        ("product_id", "bigint", "Product id."),
        ("title", "varchar", "Product title."),
        ("quantity", "integer", "Quantity."),
        ("price", MONEY, "Unit price."),
        ("total_discount", MONEY, "Discount on the line."),
    ]),
    _t("raw_shop", "refunds", "Refunds of orders.", ("refund_id",), [
        ("refund_id", "bigint", "Refund id."),
        ("order_id", "bigint", "Order refunded."),
        ("amount", MONEY, "Amount refunded."),
        ("currency", "varchar", "ISO 4217 currency."),
        ("created_at", TS, "created_at (UTC)."),
    ]),
    _t("raw_shop", "storefront_events", "Storefront customer events (web pixel): views, carts, checkouts.",
       ("event_id",), [
           ("event_id", "varchar", "Event id."),
           ("event_name", "varchar", "page_viewed, product_added_to_cart, checkout_started, checkout_completed."),
           ("client_id", "varchar", "Browser client id."),
           ("customer_id", "bigint", "Customer id when logged in or known."),
           ("email", "varchar", "Email when known (checkout)."),
           ("phone", "varchar", "Phone when known (checkout)."),
           ("checkout_token", "varchar", "Checkout token."),
           ("order_id", "bigint", "Order id of checkout_completed."),
           ("value", MONEY, "Cart or checkout value."),
           ("currency", "varchar", "ISO 4217 currency."),
           ("utm_source", "varchar", "utm_source of the landing."),
           ("utm_medium", "varchar", "utm_medium."),
           ("utm_campaign", "varchar", "utm_campaign."),
           ("utm_content", "varchar", "utm_content."),
           ("fbclid", "varchar", "Meta click id."),
           ("ttclid", "varchar", "TikTok click id."),
           ("gclid", "varchar", "Google click id."),
           ("occurred_at", TS, "When it happened (UTC)."),
       ], sensitive=("email", "phone", "client_id")),
]

# --------------------------------------------------------------------------------------------------
# File drop: the canonical schemas for exports and history (CSV, Parquet or JSONL in a folder)
# Identifiers: contact_external_id and/or email and/or phone; at least one must be present.
# --------------------------------------------------------------------------------------------------
_CONTACT_REF = [
    ("contact_external_id", "varchar", "The contact's id in the exporting system."),
    ("email", "varchar", "Email of the contact."),
    ("phone", "varchar", "Phone of the contact (any format; E.164 preferred)."),
]
FILES = [
    _t("raw_files", "contacts", "Contacts from exports.", ("source_system", "contact_external_id"), [
        ("source_system", "varchar", "Name of the exporting system (defaults to the folder name)."),
        ("contact_external_id", "varchar", "Contact id in the exporting system."),
        ("email", "varchar", "Email."),
        ("phone", "varchar", "Phone."),
        ("first_name", "varchar", "First name."),
        ("last_name", "varchar", "Last name."),
        ("channel", "varchar", "Main channel: whatsapp, instagram, messenger, tiktok, email, webchat, web, other."),
        ("channel_user_id", "varchar", "Id of the contact on that channel."),
        ("country_code", "varchar", "ISO 3166-1 alpha-2."),
        ("created_at", TS, "When the contact was created (UTC)."),
        ("_source_file", "varchar", "File the row came from."),
    ], sensitive=("email", "phone", "first_name", "last_name", "channel_user_id")),
    _t("raw_files", "conversations", "Conversations from exports.", ("source_system", "conversation_id"), [
        ("source_system", "varchar", "Exporting system."),
        ("conversation_id", "varchar", "Conversation id."),
        *_CONTACT_REF,
        ("channel", "varchar", "Channel."),
        ("source", "varchar", "ad_referral, organic or broadcast_reply."),
        ("ad_id", "varchar", "Ad id of an ad referral."),
        ("ctwa_clid", "varchar", "Click-to-WhatsApp click id."),
        ("assignee_type", "varchar", "human or ai_agent."),
        ("assignee_id", "varchar", "Agent id."),
        ("team", "varchar", "Team."),
        ("opened_at", TS, "Opened (UTC)."),
        ("closed_at", TS, "Closed (UTC)."),
        ("resolution", "varchar", "Closing category."),
        ("_source_file", "varchar", "File the row came from."),
    ], sensitive=("email", "phone", "ctwa_clid")),
    _t("raw_files", "messages", "Messages from exports.", ("source_system", "message_id"), [
        ("source_system", "varchar", "Exporting system."),
        ("message_id", "varchar", "Message id."),
        ("conversation_id", "varchar", "Conversation id."),
        *_CONTACT_REF,
        ("channel", "varchar", "Channel."),
        ("direction", "varchar", "inbound or outbound."),
        ("sender_type", "varchar", "contact, human, ai_agent, automation, broadcast."),
        ("sender_id", "varchar", "Agent id for outbound messages."),
        ("sent_at", TS, "Sent (UTC)."),
        ("_source_file", "varchar", "File the row came from."),
    ], sensitive=("email", "phone")),
    _t("raw_files", "lifecycle_events", "Explicit stage changes from exports.", ("source_system", "event_id"), [
        ("source_system", "varchar", "Exporting system."),
        ("event_id", "varchar", "Event id."),
        *_CONTACT_REF,
        ("stage", "varchar", "Stage set (empty when cleared)."),
        ("reason", "varchar", "Reason given (for lost stages)."),
        ("changed_by_type", "varchar", "human, ai_agent, automation, crm."),
        ("changed_at", TS, "When (UTC)."),
        ("_source_file", "varchar", "File the row came from."),
    ], sensitive=("email", "phone")),
    _t("raw_files", "orders", "Orders from exports.", ("source_system", "order_id"), [
        ("source_system", "varchar", "Exporting system."),
        ("order_id", "varchar", "Order id."),
        *_CONTACT_REF,
        ("status", "varchar", "paid, refunded, cancelled, pending."),
        ("currency", "varchar", "ISO 4217."),
        ("revenue", MONEY, "Revenue of the order (net of discounts, before tax)."),
        ("refunded_amount", MONEY, "Refunded so far."),
        ("ordered_at", TS, "When ordered (UTC)."),
        ("_source_file", "varchar", "File the row came from."),
    ], sensitive=("email", "phone")),
    _t("raw_files", "ad_performance", "Daily ad performance from exports.", ("source_system", "date_day", "platform", "ad_id"), [
        ("source_system", "varchar", "Exporting system."),
        ("date_day", "date", "Day."),
        ("platform", "varchar", "meta, tiktok, google, other."),
        ("account_id", "varchar", "Ad account."),
        ("campaign_id", "varchar", "Campaign id."),
        ("campaign_name", "varchar", "Campaign name."),
        ("ad_group_id", "varchar", "Ad set / ad group id."),
        ("ad_id", "varchar", "Ad id ('' for campaign-level rows)."),
        ("currency", "varchar", "ISO 4217."),
        ("spend", MONEY, "Spend."),
        ("impressions", "bigint", "Impressions."),
        ("clicks", "bigint", "Clicks."),
        ("conversations_started", "bigint", "Messaging conversations started."),
        ("_source_file", "varchar", "File the row came from."),
    ]),
    _t("raw_files", "touchpoints", "Marketing touchpoints (ad clicks, email clicks, forms).", ("source_system", "touchpoint_id"), [
        ("source_system", "varchar", "Exporting system."),
        ("touchpoint_id", "varchar", "Touchpoint id."),
        *_CONTACT_REF,
        ("touchpoint_type", "varchar", "ad_click, ctm_referral, email_click, broadcast_click, web_form, organic."),
        ("platform", "varchar", "meta, tiktok, google, email, web, other."),
        ("campaign_id", "varchar", "Campaign id."),
        ("ad_id", "varchar", "Ad id."),
        ("utm_source", "varchar", "utm_source."),
        ("utm_medium", "varchar", "utm_medium."),
        ("utm_campaign", "varchar", "utm_campaign."),
        ("click_id", "varchar", "fbclid, ttclid, gclid or ctwa_clid."),
        ("marketing_channel", "varchar", "Marketing channel as the exporting system groups it (optional; when "
                                         "empty the channel_grouping seed derives it)."),
        ("occurred_at", TS, "When (UTC)."),
        ("_source_file", "varchar", "File the row came from."),
    ], sensitive=("email", "phone", "click_id")),
    _t("raw_files", "conversion_events", "Conversion events (lead, add to cart, checkout, purchase...).", ("source_system", "event_id"), [
        ("source_system", "varchar", "Exporting system."),
        ("event_id", "varchar", "Event id."),
        *_CONTACT_REF,
        ("event_name", "varchar", "qualified, quote_sent, add_to_cart, checkout_started, payment, purchase, review, referral."),
        ("value", MONEY, "Value."),
        ("currency", "varchar", "ISO 4217."),
        ("occurred_at", TS, "When (UTC)."),
        ("_source_file", "varchar", "File the row came from."),
    ], sensitive=("email", "phone")),
    _t("raw_files", "surveys", "NPS and CSAT answers.", ("source_system", "response_id"), [
        ("source_system", "varchar", "Exporting system."),
        ("response_id", "varchar", "Response id."),
        *_CONTACT_REF,
        ("survey_type", "varchar", "nps or csat."),
        ("score", "integer", "Answer (NPS 0-10, CSAT 1-5)."),
        ("answered_at", TS, "When (UTC)."),
        ("_source_file", "varchar", "File the row came from."),
    ], sensitive=("email", "phone")),
    _t("raw_files", "consents", "Per-channel opt-ins and opt-outs.", ("source_system", "consent_id"), [
        ("source_system", "varchar", "Exporting system."),
        ("consent_id", "varchar", "Consent event id."),
        *_CONTACT_REF,
        ("channel", "varchar", "Channel the consent is for."),
        ("status", "varchar", "opted_in or opted_out."),
        ("changed_at", TS, "When (UTC)."),
        ("_source_file", "varchar", "File the row came from."),
    ], sensitive=("email", "phone")),
]

# What each raw schema holds (the dbt source's description).
SCHEMA_DESCRIPTIONS = {
    "raw_respondio": "respond.io messaging inbox (API v2): contacts, channels, conversations, messages, "
                     "stage/tag/consent events, surveys.",
    "raw_meta_ads": "Meta Marketing API: campaigns, ad sets, ads and daily ad-level insights.",
    "raw_tiktok_ads": "TikTok Business API: campaigns, ad groups, ads and daily ad-level reports.",
    "raw_hubspot": "HubSpot CRM v3: contacts, lifecycle stage history, deals and their associations.",
    "raw_salesforce": "Salesforce REST: leads, contacts, opportunities and opportunity history.",
    "raw_shop": "Shop (Shopify Admin API) customers, orders, refunds and storefront (web pixel) events.",
    "raw_files": "File drop: canonical CSV/Parquet/JSONL exports and history from any system (source_system column).",
}
# Tables whose freshness dbt checks (loaded at least daily by a running source; warn after 24 h, error after 72 h).
FRESHNESS_CHECKED = frozenset({
    "raw_respondio.contacts", "raw_respondio.conversations", "raw_respondio.messages",
    "raw_meta_ads.insights_daily", "raw_tiktok_ads.report_daily",
    "raw_hubspot.contacts", "raw_hubspot.deals",
    "raw_salesforce.leads", "raw_salesforce.contacts", "raw_salesforce.opportunities",
    "raw_shop.customers", "raw_shop.orders", "raw_shop.storefront_events",
})
# The dbt folder of each source's staging models (models/staging/<folder>/).
STAGING_FOLDERS = {"raw_respondio": "respondio", "raw_meta_ads": "meta_ads", "raw_tiktok_ads": "tiktok_ads",
                   "raw_hubspot": "hubspot", "raw_salesforce": "salesforce", "raw_shop": "shop", "raw_files": "files"}

RAW_TABLES: tuple[RawTable, ...] = tuple(RESPONDIO + META_ADS + TIKTOK_ADS + HUBSPOT + SALESFORCE + SHOP + FILES)
BY_NAME: dict[str, RawTable] = {t.qualified_name: t for t in RAW_TABLES}
SCHEMAS: tuple[str, ...] = tuple(dict.fromkeys(t.schema for t in RAW_TABLES))
# The schemas the demo generator fills (Salesforce and file drop stay empty in the demo).
DEMO_SCHEMAS = ("raw_respondio", "raw_meta_ads", "raw_tiktok_ads", "raw_hubspot", "raw_shop")


def table(qualified_name: str) -> RawTable:
    try:
        return BY_NAME[qualified_name]
    except KeyError:
        raise KeyError(f"unknown raw table {qualified_name!r}; known: {sorted(BY_NAME)}") from None


def tables_in(schema: str) -> list[RawTable]:
    return [t for t in RAW_TABLES if t.schema == schema]


def exists_in(con: duckdb.DuckDBPyConnection, t: RawTable) -> bool:
    """Whether the DuckDB warehouse has raw table ``t`` (a copy to another engine reads only those it has)."""
    return bool(con.execute("select count(*) from information_schema.tables where table_schema = ? "
                            "and table_name = ?", [t.schema, t.name]).fetchone()[0])


def ensure_raw_tables(con: duckdb.DuckDBPyConnection, tables: Sequence[RawTable] | None = None) -> None:
    """Create every raw table (empty) that does not exist yet, and the ops tables.

    dbt declares a source for every raw table; a source nobody has loaded is simply empty.
    Columns added to the registry after a table was created are added to it (new fields tolerated).
    """
    ensure_ops_tables(con)
    for t in tables or RAW_TABLES:
        ensure_table(con, t)


def render_sources_yml(schema: str) -> str:
    """The dbt sources file of one raw schema (``models/staging/<folder>/_<folder>__sources.yml``)."""
    lines = [
        "# Generated from ingestion/raw_tables.py by `python -m ingestion.raw_tables sources`; do not edit by hand.",
        "version: 2",
        "",
        "sources:",
        f"  - name: {schema}",
        f"    schema: {schema}",
        f"    description: {_quoted(SCHEMA_DESCRIPTIONS[schema])}",
        "    config:",
        f"      loaded_at_field: {LOADED_AT}",
        "    tables:",
    ]
    for t in tables_in(schema):
        key = ", ".join(t.primary_key)
        lines += [f"      - name: {t.name}", f"        description: {_quoted(f'{t.description} Primary key: {key}.')}"]
        if t.qualified_name in FRESHNESS_CHECKED:
            lines += ["        config:", "          freshness:", "            warn_after: {count: 24, period: hour}",
                      "            error_after: {count: 72, period: hour}"]
        lines.append("        columns:")
        for c in t.columns:
            lines += [f"          - name: {c.name}", f"            description: {_quoted(c.description)}",
                      f"            data_type: {c.type}"]
            if c.name in t.sensitive:
                lines += ["            config:", "              meta: {sensitive: true}"]
        lines += [f"          - name: {LOADED_AT}", "            description: \"{{ doc('col__loaded_at') }}\"",
                  "            data_type: timestamp"]
    return "\n".join(lines) + "\n"


def sources_yml_path(project_dir, schema: str):
    folder = STAGING_FOLDERS[schema]
    return project_dir / "models" / "staging" / folder / f"_{folder}__sources.yml"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_sources(project_dir) -> list:
    """(Re)write every generated sources file; returns the paths written."""
    written = []
    for schema in SCHEMAS:
        path = sources_yml_path(project_dir, schema)
        path.write_text(render_sources_yml(schema))
        written.append(path)
    return written


def render_markdown() -> str:
    lines = [
        "# Raw tables",
        "",
        "Generated from `ingestion/raw_tables.py` by `python -m ingestion.raw_tables > docs/raw_tables.md`;",
        "do not edit by hand. The demo generator, the API connectors and the file-drop loader all write these",
        "tables in this shape, so dbt staging is shared by demo and real data.",
        "",
        "Conventions: timestamps are UTC `timestamp` without zone; money is `decimal(18,2)` with a currency",
        "column; lists are JSON arrays in `varchar`; every table also has `_loaded_at` (when a loader last",
        "wrote the row). Columns marked *sensitive* hold personal data: never logged, tagged in dbt.",
        "",
    ]
    for schema in SCHEMAS:
        lines += [f"## `{schema}`", ""]
        for t in tables_in(schema):
            lines += [f"### `{t.qualified_name}`", "", t.description, "",
                      f"Primary key: `{', '.join(t.primary_key)}`", "",
                      "| column | type | description |", "|---|---|---|"]
            for c in t.columns:
                flag = " *sensitive*" if c.name in t.sensitive else ""
                lines.append(f"| `{c.name}` | {c.type} | {c.description}{flag} |")
            lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    # python -m ingestion.raw_tables            -> docs/raw_tables.md on stdout
    # python -m ingestion.raw_tables sources    -> rewrite dbt_project/models/staging/*/_*__sources.yml
    if sys.argv[1:] == ["sources"]:
        from pathlib import Path

        for written in write_sources(Path(__file__).resolve().parent.parent / "dbt_project"):
            print(written)
    else:
        sys.stdout.write(render_markdown())
