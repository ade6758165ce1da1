with source as (

    {{ staged_source('tiktok_ads', 'adgroup_report_hourly', get_adgroup_report_hourly_columns()) }}

),

renamed as (

    select
        -- ids
        {{ make_key(['adgroup_id', 'stat_time_hour']) }} as adgroup_report_hourly_id,
        adgroup_id,
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
