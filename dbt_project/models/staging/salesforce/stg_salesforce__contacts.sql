with source as (

    select * from {{ source('raw_salesforce', 'contacts') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as contact_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        email,
        phone,
        mobile_phone,
        first_name,
        last_name,
        lead_source,
        coalesce(is_deleted, false) as is_deleted,
        cast(created_date as {{ dbt.type_timestamp() }}) as created_at,
        cast(system_modstamp as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
