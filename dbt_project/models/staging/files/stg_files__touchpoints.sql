with source as (

    select * from {{ source('raw_files', 'touchpoints') }}

),

renamed as (

    select
        lower(trim(source_system)) || ':' || touchpoint_id as touchpoint_key,
        lower(trim(source_system)) as source_system,
        cast(touchpoint_id as {{ dbt.type_string() }}) as touchpoint_id,
        cast(contact_external_id as {{ dbt.type_string() }}) as contact_external_id,
        email,
        phone,
        lower(trim(touchpoint_type)) as touchpoint_type,
        lower(trim(platform)) as platform,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        utm_source,
        utm_medium,
        utm_campaign,
        click_id,
        nullif(trim(marketing_channel), '') as marketing_channel,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        _source_file as source_file,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
