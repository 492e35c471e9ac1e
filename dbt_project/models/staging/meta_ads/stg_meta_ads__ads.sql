with source as (

    select * from {{ source('raw_meta_ads', 'ads') }}

),

renamed as (

    select
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        cast(adset_id as {{ dbt.type_string() }}) as adset_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        ad_name,
        upper(trim(status)) as status,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
