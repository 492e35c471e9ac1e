with source as (

    select * from {{ source('raw_tiktok_ads', 'adgroups') }}

),

renamed as (

    select
        cast(adgroup_id as {{ dbt.type_string() }}) as adgroup_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(advertiser_id as {{ dbt.type_string() }}) as advertiser_id,
        adgroup_name,
        upper(trim(optimization_goal)) as optimization_goal,
        upper(trim(operation_status)) as status,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
