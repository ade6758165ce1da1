with source as (

    select * from {{ source('tiktok_ads', 'ad_report_daily') }}

),

renamed as (

    select
        ad_id || '|' || cast(cast(stat_time_day as date) as {{ dbt.type_string() }}) as ad_report_daily_id,
        cast(ad_id as {{ dbt.type_string() }}) as ad_id,
        cast(adgroup_id as {{ dbt.type_string() }}) as adgroup_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(advertiser_id as {{ dbt.type_string() }}) as advertiser_id,
        cast(stat_time_day as date) as date_day,
        currency,
        timezone as advertiser_timezone,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(spend as {{ dbt.type_numeric() }}) as spend,
        cast(conversion as {{ dbt.type_bigint() }}) as conversions

    from source

),

final as (

    select * from renamed

)

select * from final
