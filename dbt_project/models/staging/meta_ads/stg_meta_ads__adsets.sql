with source as (

    select * from {{ source('raw_meta_ads', 'adsets') }}

),

renamed as (

    select
        cast(adset_id as {{ dbt.type_string() }}) as adset_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        adset_name,
        upper(trim(destination_type)) as destination_type,
        upper(trim(optimization_goal)) as optimization_goal,
        upper(trim(status)) as status,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
