with source as (

    {{ staged_source('tiktok_ads', 'advertiser', get_advertiser_columns()) }}

),

renamed as (

    select
        -- ids
        id as advertiser_id,

        -- dimensions
        name as advertiser_name,
        company as company_name,
        country as country_code,
        status as advertiser_status,
        currency,
        timezone as advertiser_timezone,

        -- timestamps
        create_time as created_at

    from source

),

final as (

    select * from renamed

)

select * from final
