with source as (

    select * from {{ source('raw_salesforce', 'leads') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as lead_id,
        email,
        phone,
        mobile_phone,
        first_name,
        last_name,
        company,
        status,
        lead_source,
        coalesce(is_converted, false) as is_converted,
        cast(converted_contact_id as {{ dbt.type_string() }}) as converted_contact_id,
        cast(converted_opportunity_id as {{ dbt.type_string() }}) as converted_opportunity_id,
        coalesce(is_deleted, false) as is_deleted,
        cast(created_date as {{ dbt.type_timestamp() }}) as created_at,
        cast(system_modstamp as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
