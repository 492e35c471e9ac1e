with source as (

    select * from {{ source('raw_hubspot', 'deals') }}

),

renamed as (

    select
        cast(deal_id as {{ dbt.type_string() }}) as deal_id,
        dealname as deal_name,
        cast(pipeline as {{ dbt.type_string() }}) as pipeline_id,
        lower(trim(dealstage)) as deal_stage,
        cast(amount as {{ dbt.type_numeric() }}) as amount,
        upper(trim(deal_currency_code)) as currency,
        closed_lost_reason,
        coalesce(hs_is_closed, false) as is_closed,
        coalesce(hs_is_closed_won, false) as is_closed_won,
        cast(createdate as {{ dbt.type_timestamp() }}) as created_at,
        cast(closedate as {{ dbt.type_timestamp() }}) as closed_at,
        cast(lastmodifieddate as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
