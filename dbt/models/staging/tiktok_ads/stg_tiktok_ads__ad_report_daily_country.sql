with source as (

    {{ staged_source('tiktok_ads', 'ad_report_daily_country', get_ad_report_daily_breakdown_columns([('country_code', 'string')])) }}

),

renamed as (

    select
        -- ids
        {{ make_key(['ad_id', 'cast(stat_time_day as date)', 'country_code']) }} as ad_report_daily_country_id,
        ad_id,
        adgroup_id,
        campaign_id,
        cast(stat_time_day as date) as date_day,
        country_code,
        {{ staged_report_metrics() }}

    from source

),

final as (

    select * from renamed

)

select * from final
