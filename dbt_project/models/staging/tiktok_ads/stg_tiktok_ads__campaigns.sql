with source as (

    select * from {{ source('raw_tiktok_ads', 'campaigns') }}

),

renamed as (

    select
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(advertiser_id as {{ dbt.type_string() }}) as advertiser_id,
        campaign_name,
        upper(trim(objective_type)) as objective,
        upper(trim(operation_status)) as status,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
