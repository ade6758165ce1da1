with source as (

    {{ staged_source('tiktok_ads', 'ad_report_daily_audience', get_ad_report_daily_breakdown_columns([('age', 'string'), ('gender', 'string')])) }}

),

renamed as (

    select
        -- ids
        {{ make_key(['ad_id', 'cast(stat_time_day as date)', 'age', 'gender']) }} as ad_report_daily_audience_id,
        ad_id,
        adgroup_id,
        campaign_id,
        cast(stat_time_day as date) as date_day,
        age as age_group,
        gender,
        {{ staged_report_metrics() }}

    from source

),

final as (

    select * from renamed

)

select * from final
