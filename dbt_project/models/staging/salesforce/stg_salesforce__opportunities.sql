with source as (

    select * from {{ source('raw_salesforce', 'opportunities') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as opportunity_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        name as opportunity_name,
        stage_name,
        cast(amount as {{ dbt.type_numeric() }}) as amount,
        upper(trim(currency_iso_code)) as currency,
        cast(close_date as date) as close_date,
        coalesce(is_closed, false) as is_closed,
        coalesce(is_won, false) as is_won,
        loss_reason,
        lead_source,
        coalesce(is_deleted, false) as is_deleted,
        cast(created_date as {{ dbt.type_timestamp() }}) as created_at,
        cast(system_modstamp as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
