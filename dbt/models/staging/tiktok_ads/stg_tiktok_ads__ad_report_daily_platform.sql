with source as (

    {{ staged_source('tiktok_ads', 'ad_report_daily_platform', get_ad_report_daily_breakdown_columns([('platform', 'string')])) }}

),

renamed as (

    select
        -- ids
        {{ make_key(['ad_id', 'cast(stat_time_day as date)', 'platform']) }} as ad_report_daily_platform_id,
        ad_id,
        adgroup_id,
        campaign_id,
        cast(stat_time_day as date) as date_day,
        platform,
        {{ staged_report_metrics() }}

    from source

),

final as (

    select * from renamed

)

select * from final
