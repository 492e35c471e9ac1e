-- One row per resolved contact: profile (from identity resolution), the identities it merges, its current
-- lifecycle stage (or current lost stage with the reason), funnel entry, and a per-channel consent summary.
-- Contacts with no lifecycle evidence yet have a null current_stage. Anonymous storefront visitors (only a
-- browser client id) are left out until they show lifecycle evidence.

with

profiles as (
    select * from {{ ref('int_contacts__profile') }}
),

identifiers as (
    select * from {{ ref('int_identity__identifiers') }}
),

spells as (
    select * from {{ ref('fct_lifecycle_stage_spells') }}
),

-- ordered by the "type:value" text itself (the same order as by type, then value: no type is the start of
-- another), which DuckDB sorts as a list, several times faster (duckdb__listagg, macros/common/
-- adapter_dispatch.sql); int_identity__identifiers has one row per contact, type and value
identity_lists as (
    select
        contact_id,
        {{ dbt.listagg("identity_entry", "', '", "order by " ~ byte_order("identity_entry")) }} as identities
    from (
        select
            contact_id,
            {{ dbt.concat(["identifier_type", "':'", "identifier_value"]) }} as identity_entry
        from identifiers
    ) as contact_identities
    group by contact_id
),

current_spells as (
    select * from spells
    where is_current
),

episode_counts as (
    select
        contact_id,
        max(funnel_episode) as funnel_episodes,
        max(case when not is_lost_stage and stage_order >= {{ lifecycle_config().won_order }} then 1 else 0 end)
            as has_been_won,
        min(entered_at) as first_stage_at
    from spells
    group by contact_id
),

latest_consents as (
    select * from {{ ref('int_consents__current') }}
),

consent_summary as (
    select
        contact_id,
        {{ dbt.listagg("case when status = 'opted_out' then channel end", "','", "order by channel") }}
            as opted_out_channels,
        {{ dbt.listagg("case when status = 'opted_in' then channel end", "','", "order by channel") }}
            as opted_in_channels,
        max(case when status = 'opted_out' then 1 else 0 end) as has_opt_out
    from latest_consents
    group by contact_id
),

final as (
    select
        cast(profiles.contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(profiles.email as {{ dbt.type_string() }}) as email,
        cast(profiles.phone as {{ dbt.type_string() }}) as phone,
        cast(profiles.first_name as {{ dbt.type_string() }}) as first_name,
        cast(profiles.last_name as {{ dbt.type_string() }}) as last_name,
        cast(profiles.country_code as {{ dbt.type_string() }}) as country_code,
        cast(profiles.first_seen_at as {{ dbt.type_timestamp() }}) as first_seen_at,
        cast(profiles.first_channel as {{ dbt.type_string() }}) as first_channel,
        cast(profiles.channels as {{ dbt.type_string() }}) as channels,
        cast(profiles.identity_count as integer) as identity_count,
        cast(identity_lists.identities as {{ dbt.type_string() }}) as identities,
        cast(current_spells.stage as {{ dbt.type_string() }}) as current_stage,
        cast(current_spells.stage_order as integer) as current_stage_order,
        cast(current_spells.entered_at as {{ dbt.type_timestamp() }}) as current_stage_entered_at,
        cast(coalesce(not current_spells.is_lost_stage, false) as boolean) as is_in_funnel,
        cast(coalesce(current_spells.is_lost_stage, false) as boolean) as is_lost,
        cast(
            case when current_spells.is_lost_stage then current_spells.stage end
            as {{ dbt.type_string() }}
        ) as current_lost_stage,
        cast(
            case when current_spells.is_lost_stage then current_spells.lost_reason end
            as {{ dbt.type_string() }}
        ) as current_lost_reason,
        cast(
            case when current_spells.is_lost_stage then current_spells.entered_at end
            as {{ dbt.type_timestamp() }}
        ) as lost_at,
        cast(current_spells.funnel_entry_at as {{ dbt.type_timestamp() }}) as funnel_entry_at,
        cast(coalesce(episode_counts.funnel_episodes, 0) as integer) as funnel_episodes,
        cast(coalesce(episode_counts.has_been_won, 0) = 1 as boolean) as has_been_won,
        cast(coalesce(consent_summary.has_opt_out, 0) = 1 as boolean) as is_opted_out,
        cast(consent_summary.opted_out_channels as {{ dbt.type_string() }}) as opted_out_channels,
        cast(consent_summary.opted_in_channels as {{ dbt.type_string() }}) as opted_in_channels
    from profiles
    left join identity_lists
        on profiles.contact_id = identity_lists.contact_id
    left join current_spells
        on profiles.contact_id = current_spells.contact_id
    left join episode_counts
        on profiles.contact_id = episode_counts.contact_id
    left join consent_summary
        on profiles.contact_id = consent_summary.contact_id
    -- storefront visitors known only by a browser client id are not contacts until they show lifecycle evidence
    where not profiles.is_anonymous
        or episode_counts.contact_id is not null
)

select * from final
