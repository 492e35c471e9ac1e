with source as (

    select * from {{ source('raw_hubspot', 'deal_stage_history') }}

),

renamed as (

    select
        cast(deal_id as {{ dbt.type_string() }})
        || ':'
        || cast(changed_at as {{ dbt.type_string() }})
        || ':'
        || dealstage as deal_stage_change_id,
        cast(deal_id as {{ dbt.type_string() }}) as deal_id,
        lower(trim(dealstage)) as deal_stage,
        cast(changed_at as {{ dbt.type_timestamp() }}) as changed_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
