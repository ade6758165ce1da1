with source as (

    {{ staged_source('tiktok_ads', 'orders', get_orders_columns()) }}

),

renamed as (

    select
        -- ids
        order_id,
        ttclid,
        ad_id,
        adgroup_id,
        campaign_id,

        -- measures: the order's own currency, never the ad account's
        value as order_value,
        currency,

        -- timestamps (UTC)
        order_time as ordered_at,

        -- the dlt load that last wrote the row
        _dlt_load_id

    from source

),

final as (

    select * from renamed

)

select * from final
