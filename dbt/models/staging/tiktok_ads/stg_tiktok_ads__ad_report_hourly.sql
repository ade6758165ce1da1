with source as (

    {{ staged_source('tiktok_ads', 'ad_report_hourly', get_ad_report_hourly_columns()) }}

),

renamed as (

    select
        -- ids
        {{ make_key(['ad_id', 'stat_time_hour']) }} as ad_report_hourly_id,
        ad_id,
        adgroup_id,
        campaign_id,
        -- advertiser-local hour, as TikTok reports it
        stat_time_hour as stat_hour,
        cast(stat_time_hour as date) as date_day,
        {{ staged_report_metrics() }}

    from source

),

final as (

    select * from renamed

)

select * from final
