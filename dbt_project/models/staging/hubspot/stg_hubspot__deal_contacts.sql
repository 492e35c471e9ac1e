with source as (

    select * from {{ source('raw_hubspot', 'deal_contacts') }}

),

renamed as (

    select
        cast(deal_id as {{ dbt.type_string() }})
        || ':'
        || cast(contact_id as {{ dbt.type_string() }}) as deal_contact_id,
        cast(deal_id as {{ dbt.type_string() }}) as deal_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
