with source as (

    select * from {{ source('raw_respondio', 'messages') }}

),

renamed as (

    select
        cast(message_id as {{ dbt.type_string() }}) as message_id,
        cast(conversation_id as {{ dbt.type_string() }}) as conversation_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(channel_id as {{ dbt.type_string() }}) as channel_id,
        lower(trim(channel_type)) as channel,
        lower(trim(traffic)) as traffic,
        lower(trim(sender_type)) as sender_type,
        cast(sender_user_id as {{ dbt.type_string() }}) as sender_user_id,
        lower(trim(message_type)) as message_type,
        lower(trim(referral_source_type)) as referral_source_type,
        cast(referral_ad_id as {{ dbt.type_string() }}) as referral_ad_id,
        referral_ctwa_clid as ctwa_clid,
        cast(sent_at as {{ dbt.type_timestamp() }}) as sent_at,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as _loaded_at
    from source

)

select * from renamed
