with source as (

    {{ staged_source('tiktok_ads', 'campaign_history', get_campaign_history_columns()) }}

),

renamed as (

    select
        -- ids
        {{ make_key(['campaign_id', 'modify_time']) }} as campaign_version_id,
        campaign_id,
        advertiser_id,

        -- dimensions
        campaign_name,
        objective_type,
        budget_mode,
        operation_status,

        -- measures
        budget as campaign_budget,

        -- timestamps
        create_time as created_at,
        modify_time as modified_at

    from source

),

final as (

    -- a version is in force from its modify_time until the next version's
    {{ history_versions('renamed', 'campaign_id') }}

)

select * from final
