with source as (

    select * from {{ source('raw_hubspot', 'contacts') }}

),

renamed as (

    select
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        email,
        phone,
        mobilephone as mobile_phone,
        firstname as first_name,
        lastname as last_name,
        lower(trim(lifecyclestage)) as lifecycle_stage,
        upper(trim(hs_lead_status)) as lead_status,
        coalesce(archived, false) as is_archived,
        cast(createdate as {{ dbt.type_timestamp() }}) as created_at,
        cast(lastmodifieddate as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
