{#- Ad group x advertiser-local day KPIs. Never sums across currencies: currency is part of the grain. -#}
with ad_report as (

    select * from {{ ref('stg_tiktok_ads__ad_report_daily') }}

),

adgroup_history as (

    select * from {{ ref('stg_tiktok_ads__adgroup_history') }}

),

daily as (

    select
        adgroup_id,
        campaign_id,
        advertiser_id,
        date_day,
        currency,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(spend) as spend,
        sum(conversions) as conversions

    from ad_report
    group by 1, 2, 3, 4, 5

),

with_budget as (

    -- point-in-time: the ad group version in force at the end of the day
    select
        daily.*,
        adgroup_history.adgroup_name,
        adgroup_history.daily_budget

    from daily
    left join adgroup_history
        on daily.adgroup_id = adgroup_history.adgroup_id
        and adgroup_history.valid_from < {{ dbt.dateadd('day', 1, 'cast(daily.date_day as ' ~ dbt.type_timestamp() ~ ')') }}
        and (adgroup_history.valid_to is null
             or adgroup_history.valid_to >= {{ dbt.dateadd('day', 1, 'cast(daily.date_day as ' ~ dbt.type_timestamp() ~ ')') }})

),

final as (

    select
        {{ make_key(["adgroup_id", "date_day", "currency"]) }} as adgroup_day_id,
        adgroup_id,
        adgroup_name,
        campaign_id,
        advertiser_id,
        date_day,
        currency,
        daily_budget,
        impressions,
        clicks,
        spend,
        conversions,
        {{ safe_divide('clicks', 'impressions') }} as ctr,
        {{ safe_divide('spend', 'clicks') }} as cpc,
        {{ safe_divide('spend * 1000', 'impressions') }} as cpm,
        {{ safe_divide('conversions', 'clicks') }} as cvr,
        {{ safe_divide('spend', 'conversions') }} as cpa

    from with_budget

)

select * from final
