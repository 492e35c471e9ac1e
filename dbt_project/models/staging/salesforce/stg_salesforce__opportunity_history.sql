with source as (

    select * from {{ source('raw_salesforce', 'opportunity_history') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as opportunity_history_id,
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
        stage_name,
        cast(amount as {{ dbt.type_numeric() }}) as amount,
        cast(close_date as date) as close_date,
        coalesce(is_deleted, false) as is_deleted,
        cast(created_date as {{ dbt.type_timestamp() }}) as changed_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
