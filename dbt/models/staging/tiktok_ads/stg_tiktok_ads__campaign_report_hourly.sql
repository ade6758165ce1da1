with source as (

    {{ staged_source('tiktok_ads', 'campaign_report_hourly', get_campaign_report_hourly_columns()) }}

),

renamed as (

    select
        -- ids
        {{ make_key(['campaign_id', 'stat_time_hour']) }} as campaign_report_hourly_id,
        campaign_id,
        stat_time_hour as stat_hour,
        cast(stat_time_hour as date) as date_day,
        {{ staged_report_metrics() }}

    from source

),

final as (

    select * from renamed

)

select * from final
