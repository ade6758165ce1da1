with source as (

    {{ staged_source('tiktok_ads', 'adgroup_history', get_adgroup_history_columns()) }}

),

renamed as (

    select
        -- ids
        {{ make_key(['adgroup_id', 'modify_time']) }} as adgroup_version_id,
        adgroup_id,
        campaign_id,
        advertiser_id,

        -- dimensions
        adgroup_name,
        budget_mode,
        bid_type,
        optimization_goal,
        operation_status,

        -- measures
        budget as daily_budget,
        -- the Cost Cap (conversion bid) under BID_TYPE_CUSTOM; 0 or null under Maximum Delivery
        nullif(coalesce(nullif(conversion_bid_price, 0), bid_price), 0) as cost_cap,

        -- timestamps
        create_time as created_at,
        modify_time as modified_at

    from source

),

final as (

    -- a version is in force from its modify_time until the next version's
    {{ history_versions('renamed', 'adgroup_id') }}

)

select * from final
