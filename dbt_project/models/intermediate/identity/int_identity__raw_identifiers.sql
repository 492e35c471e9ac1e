{#-
  Every identity-bearing source record with its identifiers as written, before normalisation;
  int_identity__record_identifiers normalises them. A row per record, identifier and sighting, with
  first_seen_at = last_seen_at; except the contact ids that respond.io and HubSpot records reference from
  their messages, events and history: one row per contact with the first and last sighting (17 million
  message rows at 1M contacts would otherwise be carried to the identity graph one by one). Phones carry
  the calling code of the record's country when the source has one. File-drop rows are already keyed and
  normalised here, because their record id is built from their normalised email/phone (see files_record_id).
-#}
{%- set enabled = project_var('sources_enabled') -%}
{%- set null_string = "cast(null as " ~ dbt.type_string() ~ ")" -%}

with

calling_codes as (

    select * from {{ ref('country_calling_codes') }}

),

{% if enabled.get('respondio', true) %}
respondio_contacts as (

    select * from {{ ref('stg_respondio__contacts') }}

),

respondio_channels as (

    select * from {{ ref('stg_respondio__contact_channels') }}

),

-- every respond.io contact id referenced anywhere, so that no message or event is left without a contact
respondio_contact_refs as (

    select
        contact_id,
        created_at as seen_at
    from respondio_contacts
    union all
    select
        contact_id,
        opened_at
    from {{ ref('stg_respondio__conversations') }}
    union all
    select
        contact_id,
        sent_at
    from {{ ref('stg_respondio__messages') }}
    union all
    select
        contact_id,
        changed_at
    from {{ ref('stg_respondio__lifecycle_events') }}
    union all
    select
        contact_id,
        event_at
    from {{ ref('stg_respondio__tag_events') }}
    union all
    select
        contact_id,
        changed_at
    from {{ ref('stg_respondio__consent_events') }}
    union all
    select
        contact_id,
        answered_at
    from {{ ref('stg_respondio__survey_responses') }}

),

-- one row per contact, not one per message: the first and last sighting are all the graph keeps
respondio_spans as (

    select
        'respondio_contact' as record_source,
        contact_id as record_id,
        'respondio_contact_id' as identifier_type,
        contact_id as raw_value,
        {{ null_string }} as calling_code,
        min(seen_at) as first_seen_at,
        max(seen_at) as last_seen_at
    from respondio_contact_refs
    where contact_id is not null
    group by contact_id

),

respondio as (

    select
        'respondio_contact' as record_source,
        contacts.contact_id as record_id,
        'email' as identifier_type,
        contacts.email as raw_value,
        {{ null_string }} as calling_code,
        contacts.created_at as seen_at
    from respondio_contacts as contacts

    union all

    select
        'respondio_contact',
        contacts.contact_id,
        'phone',
        contacts.phone,
        calling_codes.calling_code,
        contacts.created_at
    from respondio_contacts as contacts
    left join calling_codes
        on contacts.country_code = calling_codes.country_code

    union all

    select
        'respondio_contact',
        channels.contact_id,
        'channel_user_id',
        channels.channel || ':' || trim(channels.channel_user_id),
        null,
        channels.created_at
    from respondio_channels as channels
    where nullif(trim(channels.channel_user_id), '') is not null

    union all

    -- a WhatsApp user id is the international number without '+'; an email channel id is the address
    select
        'respondio_contact',
        channels.contact_id,
        case when channels.channel = 'email' then 'email' else 'phone' end,
        case
            when channels.channel = 'email' then channels.channel_user_id
            else '+' || {{ regexp_replace_sql('channels.channel_user_id', '[^0-9]', '') }}
        end,
        null,
        channels.created_at
    from respondio_channels as channels
    where channels.channel in ('whatsapp', 'email')

),
{% endif %}

{% if enabled.get('hubspot', true) %}
hubspot_contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

hubspot_contact_refs as (

    select
        contact_id,
        created_at as seen_at
    from hubspot_contacts
    union all
    select
        contact_id,
        cast(null as {{ dbt.type_timestamp() }})
    from {{ ref('stg_hubspot__deal_contacts') }}
    union all
    select
        contact_id,
        changed_at
    from {{ ref('stg_hubspot__contact_lifecycle_history') }}

),

hubspot_spans as (

    select
        'hubspot_contact' as record_source,
        contact_id as record_id,
        'hubspot_contact_id' as identifier_type,
        contact_id as raw_value,
        {{ null_string }} as calling_code,
        min(seen_at) as first_seen_at,
        max(seen_at) as last_seen_at
    from hubspot_contact_refs
    where contact_id is not null
    group by contact_id

),

hubspot as (

    select
        'hubspot_contact' as record_source,
        contact_id as record_id,
        'email' as identifier_type,
        email as raw_value,
        {{ null_string }} as calling_code,
        created_at as seen_at
    from hubspot_contacts
    union all
    select
        'hubspot_contact',
        contact_id,
        'phone',
        phone,
        null,
        created_at
    from hubspot_contacts
    union all
    select
        'hubspot_contact',
        contact_id,
        'phone',
        mobile_phone,
        null,
        created_at
    from hubspot_contacts

),
{% endif %}

{% if enabled.get('salesforce', true) %}
salesforce_leads as (

    select * from {{ ref('stg_salesforce__leads') }}

),

salesforce_contacts as (

    select * from {{ ref('stg_salesforce__contacts') }}

),

salesforce_contact_refs as (

    select
        contact_id,
        created_at as seen_at
    from salesforce_contacts
    union all
    select
        contact_id,
        created_at
    from {{ ref('stg_salesforce__opportunities') }}

),

salesforce as (

    select
        'salesforce_lead' as record_source,
        lead_id as record_id,
        'salesforce_id' as identifier_type,
        lead_id as raw_value,
        {{ null_string }} as calling_code,
        created_at as seen_at
    from salesforce_leads

    union all

    -- a converted lead links to its contact: both carry the contact's id
    select
        'salesforce_lead',
        lead_id,
        'salesforce_id',
        converted_contact_id,
        null,
        created_at
    from salesforce_leads
    where converted_contact_id is not null

    union all
    select
        'salesforce_lead',
        lead_id,
        'email',
        email,
        null,
        created_at
    from salesforce_leads
    union all
    select
        'salesforce_lead',
        lead_id,
        'phone',
        phone,
        null,
        created_at
    from salesforce_leads
    union all
    select
        'salesforce_lead',
        lead_id,
        'phone',
        mobile_phone,
        null,
        created_at
    from salesforce_leads

    union all

    select
        'salesforce_contact',
        contact_id,
        'salesforce_id',
        -- the record id is also the identifier value (column names come from the first branch)
        contact_id,  -- noqa: AL08
        null,
        seen_at
    from salesforce_contact_refs
    where contact_id is not null

    union all
    select
        'salesforce_contact',
        contact_id,
        'email',
        email,
        null,
        created_at
    from salesforce_contacts
    union all
    select
        'salesforce_contact',
        contact_id,
        'phone',
        phone,
        null,
        created_at
    from salesforce_contacts
    union all
    select
        'salesforce_contact',
        contact_id,
        'phone',
        mobile_phone,
        null,
        created_at
    from salesforce_contacts

),
{% endif %}

{% if enabled.get('shop', true) %}
shop_customers as (

    select * from {{ ref('stg_shop__customers') }}

),

shop_orders as (

    select * from {{ ref('stg_shop__orders') }}

),

shop_events as (

    select * from {{ ref('stg_shop__storefront_events') }}

),

shop as (

    select
        'shop_customer' as record_source,
        customer_id as record_id,
        'shop_customer_id' as identifier_type,
        customer_id as raw_value,
        {{ null_string }} as calling_code,
        created_at as seen_at
    from shop_customers

    union all
    select
        'shop_customer',
        customer_id,
        'email',
        email,
        null,
        created_at
    from shop_customers
    union all
    select
        'shop_customer',
        customer_id,
        'phone',
        phone,
        null,
        created_at
    from shop_customers

    union all
    select
        'shop_order',
        order_id,
        'shop_customer_id',
        customer_id,
        null,
        created_at
    from shop_orders
    union all
    select
        'shop_order',
        order_id,
        'email',
        email,
        null,
        created_at
    from shop_orders
    union all
    select
        'shop_order',
        order_id,
        'phone',
        phone,
        null,
        created_at
    from shop_orders

    union all
    select
        'shop_event',
        storefront_event_id,
        'shop_client_id',
        nullif(trim(client_id), ''),
        null,
        occurred_at
    from shop_events
    union all
    select
        'shop_event',
        storefront_event_id,
        'shop_customer_id',
        customer_id,
        null,
        occurred_at
    from shop_events
    union all
    select
        'shop_event',
        storefront_event_id,
        'email',
        email,
        null,
        occurred_at
    from shop_events
    union all
    select
        'shop_event',
        storefront_event_id,
        'phone',
        phone,
        null,
        occurred_at
    from shop_events

),
{% endif %}

{% if enabled.get('files', true) %}
files_contacts as (

    select
        contacts.*,
        calling_codes.calling_code,
        {{ files_record_id(
            'contacts.source_system', 'contacts.contact_external_id', 'null', 'null', 'contacts.contact_key'
        ) }}
            as record_id
    from {{ ref('stg_files__contacts') }} as contacts
    left join calling_codes
        on contacts.country_code = calling_codes.country_code

),

-- every file-drop table that references a contact, reduced to its identity columns
files_refs_raw as (

    {%- for model, row_key, ts in files_identity_tables() %}
    select
        source_system,
        contact_external_id,
        email,
        phone,
        {{ row_key }} as row_key,
        {{ ts }} as seen_at
    from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

files_refs as (

    select
        source_system,
        contact_external_id,
        {{ identity_email('email') }} as email_id,
        {{ identity_phone('phone') }} as phone_id,
        row_key,
        seen_at
    from files_refs_raw

),

files as (

    select
        'files_contact' as record_source,
        record_id,
        'external_id' as identifier_type,
        record_id as raw_value,
        {{ null_string }} as calling_code,
        created_at as seen_at
    from files_contacts

    union all
    select
        'files_contact',
        record_id,
        'email',
        email,
        null,
        created_at
    from files_contacts
    union all
    select
        'files_contact',
        record_id,
        'phone',
        phone,
        calling_code,
        created_at
    from files_contacts
    union all
    select
        'files_contact',
        record_id,
        'channel_user_id',
        channel || ':' || trim(channel_user_id),
        null,
        created_at
    from files_contacts
    where nullif(trim(channel_user_id), '') is not null
    union all
    select
        'files_contact',
        record_id,
        'phone',
        '+' || {{ regexp_replace_sql('channel_user_id', '[^0-9]', '') }},
        null,
        created_at
    from files_contacts
    where channel = 'whatsapp'

    union all

    select
        {{ files_record_source('contact_external_id') }},
        {{ files_record_id('source_system', 'contact_external_id', 'email_id', 'phone_id', 'row_key') }},
        case when nullif(trim(contact_external_id), '') is not null then 'external_id' else 'email' end,
        case
            when nullif(
                    trim(contact_external_id), ''
                ) is not null
                then source_system
                    || ':'
                    || trim(contact_external_id)
            else email_id
        end,
        null,
        seen_at
    from files_refs

    union all

    select
        {{ files_record_source('contact_external_id') }},
        {{ files_record_id('source_system', 'contact_external_id', 'email_id', 'phone_id', 'row_key') }},
        case when nullif(trim(contact_external_id), '') is not null then 'email' else 'phone' end,
        case when nullif(trim(contact_external_id), '') is not null then email_id else phone_id end,
        null,
        seen_at
    from files_refs

    union all

    select
        'files_contact',
        {{ files_record_id('source_system', 'contact_external_id', 'email_id', 'phone_id', 'row_key') }},
        'phone',
        phone_id,
        null,
        seen_at
    from files_refs
    where nullif(trim(contact_external_id), '') is not null

),
{% endif %}

unioned as (

    {%- set parts = [] -%}
    {%- for name in ['respondio', 'hubspot', 'salesforce', 'shop', 'files'] if enabled.get(name, true) -%}
    {%- do parts.append(name) -%}
    {%- endfor %}
    {%- for name in parts %}
    {%- if name in ['respondio', 'hubspot'] %}
    select * from {{ name }}_spans
    union all
    {%- endif %}
    select
        record_source,
        record_id,
        identifier_type,
        raw_value,
        calling_code,
        seen_at as first_seen_at,
        seen_at as last_seen_at
    from {{ name }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    {%- if parts | length == 0 %}
    select
        {{ null_string }} as record_source,
        {{ null_string }} as record_id,
        {{ null_string }} as identifier_type,
        {{ null_string }} as raw_value,
        {{ null_string }} as calling_code,
        cast(null as {{ dbt.type_timestamp() }}) as first_seen_at,
        cast(null as {{ dbt.type_timestamp() }}) as last_seen_at
    where 1 = 0
    {%- endif %}

)

select * from unioned
