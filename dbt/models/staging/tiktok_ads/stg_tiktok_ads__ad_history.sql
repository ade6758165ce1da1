with source as (

    {{ staged_source('tiktok_ads', 'ad_history', get_ad_history_columns()) }}

),

renamed as (

    select
        -- ids
        {{ make_key(['ad_id', 'modify_time']) }} as ad_version_id,
        ad_id,
        adgroup_id,
        campaign_id,
        advertiser_id,

        -- dimensions
        ad_name,
        ad_format,
        video_id,
        call_to_action,
        landing_page_url,
        operation_status,

        -- timestamps
        create_time as created_at,
        modify_time as modified_at

    from source

),

final as (

    -- a version is in force from its modify_time until the next version's
    {{ history_versions('renamed', 'ad_id') }}

)

select * from final
