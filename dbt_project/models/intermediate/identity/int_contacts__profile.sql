{#-
  One row per resolved contact (see the yml). Incremental by contact: a run recomputes the contacts that can
  have changed since this table's last write (_built_at):
  - a record of the contact was written by int_identity__record_identifiers or int_identity__contact_map
    (and the contact such a record had before), or its identifiers were recomputed
    (int_identity__identifiers' _built_at);
  - its number of records differs from the stored record_count (a record gone or left);
  - one of its records' names, country or channels was loaded since (the sources' _loaded_at, less var
    incremental_lookback_minutes).
  Rows are replaced by contact_id (delete+insert); contacts that no longer exist are deleted (post-hook).
  A first build, a full refresh or a table from an earlier version computes every contact. Spark: a table.
-#}
-- depends_on: {{ ref('int_identity__record_identifiers') }} (identity_rewritten_contacts)
{{ config(
    materialized=incremental_materialization(),
    unique_key='contact_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    post_hook=[
        "{% if is_incremental() %}delete from {{ this }} where not exists (select 1 from "
        ~ "{{ ref('int_identity__contact_map') }} as cm where cm.contact_id = {{ this }}.contact_id){% endif %}"
    ]
) }}
{%- set enabled = project_var('sources_enabled') -%}
{%- set incremental = incremental_target_is_current(['_built_at']) -%}

with

all_contact_map as {{ inline_cte() if incremental }} (

    select * from {{ ref('int_identity__contact_map') }}

),

all_identifiers as {{ inline_cte() if incremental }} (

    select * from {{ ref('int_identity__identifiers') }}

),

-- names and country from contact-like records, newest first
person_attributes as {{ inline_cte() if incremental }} (

    {%- set parts = [] %}
    {%- if enabled.get('respondio', true) %}{% do parts.append(
        "select 'respondio_contact' as record_source, contact_id as record_id, first_name, last_name, country_code,"
        ~ " coalesce(updated_at, created_at) as updated_at, _loaded_at from "
        ~ ref('stg_respondio__contacts')) %}{% endif %}
    {%- if enabled.get('hubspot', true) %}{% do parts.append(
        "select 'hubspot_contact', contact_id, first_name, last_name, cast(null as " ~ dbt.type_string() ~ "),"
        ~ " coalesce(updated_at, created_at), _loaded_at from " ~ ref('stg_hubspot__contacts')) %}{% endif %}
    {%- if enabled.get('salesforce', true) %}{% do parts.append(
        "select 'salesforce_lead', lead_id, first_name, last_name, cast(null as " ~ dbt.type_string() ~ "),"
        ~ " coalesce(updated_at, created_at), _loaded_at from " ~ ref('stg_salesforce__leads')) %}{% do parts.append(
        "select 'salesforce_contact', contact_id, first_name, last_name, cast(null as " ~ dbt.type_string() ~ "),"
        ~ " coalesce(updated_at, created_at), _loaded_at from " ~ ref('stg_salesforce__contacts')) %}{% endif %}
    {%- if enabled.get('shop', true) %}{% do parts.append(
        "select 'shop_customer', customer_id, first_name, last_name, cast(null as " ~ dbt.type_string() ~ "),"
        ~ " coalesce(updated_at, created_at), _loaded_at from " ~ ref('stg_shop__customers')) %}{% endif %}
    {%- if enabled.get('files', true) %}{% do parts.append(
        "select 'files_contact', "
        ~ files_record_id('source_system', 'contact_external_id', 'null', 'null', 'contact_key')
        ~ ", first_name, last_name, country_code, created_at, _loaded_at from "
        ~ ref('stg_files__contacts')) %}{% endif %}
    {%- for part in parts %}
    {{ part }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    {%- if parts | length == 0 %}
    select
        cast(null as {{ dbt.type_string() }}) as record_source, cast(null as {{ dbt.type_string() }}) as record_id,
        cast(null as {{ dbt.type_string() }}) as first_name, cast(null as {{ dbt.type_string() }}) as last_name,
        cast(null as {{ dbt.type_string() }}) as country_code, cast(null as {{ dbt.type_timestamp() }}) as updated_at,
        cast(null as {{ dbt.type_timestamp() }}) as _loaded_at
    where 1 = 0
    {%- endif %}

),

-- the messaging channel each respond.io and file-drop record was seen on
channel_records as {{ inline_cte() if incremental }} (

    {%- if enabled.get('respondio', true) %}
    select
        'respondio_contact' as record_source,
        contact_id as record_id,
        channel,
        created_at as seen_at,
        _loaded_at
    from {{ ref('stg_respondio__contact_channels') }}
    union all
    select
        'respondio_contact',
        contact_id,
        channel,
        opened_at,
        _loaded_at
    from {{ ref('stg_respondio__conversations') }}
    {%- else %}
    select cast(null as {{ dbt.type_string() }}) as record_source, cast(null as {{ dbt.type_string() }}) as record_id,
        cast(null as {{ dbt.type_string() }}) as channel, cast(null as {{ dbt.type_timestamp() }}) as seen_at,
        cast(null as {{ dbt.type_timestamp() }}) as _loaded_at
    where 1 = 0
    {%- endif %}
    {%- if enabled.get('files', true) %}
    union all
    select
        'files_contact',
        {{ files_record_id('source_system', 'contact_external_id', 'null', 'null', 'contact_key') }},
        channel,
        created_at,
        _loaded_at
    from {{ ref('stg_files__contacts') }}
    where channel is not null
    {%- endif %}

),

{% if incremental %}
watermarks as (

    select
        built_until,
        {{ dbt.dateadd('minute', -1 * incremental_lookback_minutes(), 'built_until') }} as since
    from ({{ incremental_built() }}) as last_write

),

-- the contacts that can have changed since the last write (see above)
changed_contacts as (

    {{ identity_rewritten_contacts('all_contact_map', '(select built_until from watermarks)') }}
    union
    select contact_id
    from all_identifiers
    where _built_at > (select built_until from watermarks)
    union
    select stored.contact_id
    from {{ this }} as stored
    inner join (
        select
            contact_id,
            count(*) as record_count
        from all_contact_map
        group by contact_id
    ) as fresh
        on stored.contact_id = fresh.contact_id
    where stored.record_count <> fresh.record_count
    union
    {{ contacts_of_records('all_contact_map', 'select distinct record_source, record_id from person_attributes'
        ~ ' where _loaded_at > (select since from watermarks)') }}
    union
    {{ contacts_of_records('all_contact_map', 'select distinct record_source, record_id from channel_records'
        ~ ' where _loaded_at > (select since from watermarks)') }}

),
{% endif %}

contact_map as (

    select * from all_contact_map
    {%- if incremental %}
    where contact_id in (select contact_id from changed_contacts)
    {%- endif %}

),

identifiers as (

    select * from all_identifiers
    {%- if incremental %}
    where contact_id in (select contact_id from changed_contacts)
    {%- endif %}

),

-- where each record was seen: the messaging channel when known, else the system (hubspot, salesforce, shop)
record_channels as (

    select
        contact_map.contact_id,
        coalesce(channel_records.channel, case
            when contact_map.record_source like 'hubspot%' then 'hubspot'
            when contact_map.record_source like 'salesforce%' then 'salesforce'
            when contact_map.record_source like 'shop%' then 'shop'
            else 'other'
        end) as channel,
        coalesce(channel_records.seen_at, contact_map.first_seen_at) as seen_at
    from contact_map
    left join channel_records
        on contact_map.record_source = channel_records.record_source
        and contact_map.record_id = channel_records.record_id

),

ranked_channels as (

    select
        contact_id,
        channel,
        row_number() over (partition by contact_id order by seen_at, {{ byte_order('channel') }}) as seen_order
    from record_channels
    where channel is not null

),

channel_lists as (

    select
        contact_id,
        {{ dbt.listagg('channel', "','", 'order by ' ~ byte_order('channel')) }} as channels
    from (
        select distinct
            contact_id,
            channel
        from record_channels
        where channel is not null
    ) as distinct_channels
    group by contact_id

),

ranked_attributes as (

    select
        contact_map.contact_id,
        person_attributes.first_name,
        person_attributes.last_name,
        person_attributes.country_code,
        row_number() over (
            partition by contact_map.contact_id
            order by
                case
                    when person_attributes.first_name is null and person_attributes.last_name is null then 1
                    else 0
                end,
                person_attributes.updated_at desc,
                contact_map.record_source asc,
                {{ byte_order('contact_map.record_id') }} asc
        ) as name_order,
        row_number() over (
            partition by contact_map.contact_id
            order by
                case when person_attributes.country_code is null then 1 else 0 end,
                person_attributes.updated_at desc,
                contact_map.record_source asc,
                {{ byte_order('contact_map.record_id') }} asc
        ) as country_order
    from person_attributes
    inner join contact_map
        on person_attributes.record_source = contact_map.record_source
        and person_attributes.record_id = contact_map.record_id

),

ranked_identifiers as (

    select
        contact_id,
        identifier_type,
        identifier_value,
        row_number() over (
            partition by contact_id, identifier_type
            order by last_seen_at desc, {{ byte_order('identifier_value') }} asc
        ) as recency_order
    from identifiers
    where identifier_type in ('email', 'phone')

),

contacts as (

    select
        contact_id,
        min(first_seen_at) as first_seen_at,
        count(*) as record_count,
        sum(case when record_source = 'shop_event' then 0 else 1 end) as person_records
    from contact_map
    group by contact_id

),

identity_counts as (

    select
        contact_id,
        count(*) as identity_count
    from identifiers
    group by contact_id

),

final as (

    select
        contacts.contact_id,
        emails.identifier_value as email,
        phones.identifier_value as phone,
        names.first_name,
        names.last_name,
        countries.country_code,
        contacts.first_seen_at,
        first_channels.channel as first_channel,
        channel_lists.channels,
        coalesce(identity_counts.identity_count, 0) as identity_count,
        contacts.record_count,
        contacts.person_records = 0 and emails.identifier_value is null and phones.identifier_value is null
            as is_anonymous,
        {{ lifecycle_run_time() }} as _built_at
    from contacts
    left join ranked_identifiers as emails
        on contacts.contact_id = emails.contact_id
        and emails.identifier_type = 'email'
        and emails.recency_order = 1
    left join ranked_identifiers as phones
        on contacts.contact_id = phones.contact_id
        and phones.identifier_type = 'phone'
        and phones.recency_order = 1
    left join ranked_attributes as names
        on contacts.contact_id = names.contact_id
        and names.name_order = 1
    left join ranked_attributes as countries
        on contacts.contact_id = countries.contact_id
        and countries.country_order = 1
    left join ranked_channels as first_channels
        on contacts.contact_id = first_channels.contact_id
        and first_channels.seen_order = 1
    left join channel_lists
        on contacts.contact_id = channel_lists.contact_id
    left join identity_counts
        on contacts.contact_id = identity_counts.contact_id

)

select * from final
