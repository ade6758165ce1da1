{#- One row per ad version: valid_from <= t < valid_to (valid_to null = current). Join on the version in force, not today's. -#}
with history as (

    select * from {{ ref('stg_tiktok_ads__ad_history') }}

),

advertisers as (

    select * from {{ ref('stg_tiktok_ads__advertisers') }}

),

final as (

    select
        history.ad_version_id,
        history.ad_id,
        history.adgroup_id,
        history.campaign_id,
        history.ad_name,
        history.ad_format,
        history.video_id,
        history.call_to_action,
        history.landing_page_url,
        history.operation_status,
        history.advertiser_id,
        advertisers.advertiser_name,
        advertisers.currency,
        advertisers.advertiser_timezone,
        history.created_at,
        history.valid_from,
        history.valid_to,
        history.is_most_recent_record as is_current

    from history
    left join advertisers
        on history.advertiser_id = advertisers.advertiser_id

)

select * from final
