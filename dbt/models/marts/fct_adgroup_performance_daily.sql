{#-
    Ad group x advertiser-local day KPIs. Never sums across currencies: currency is part of the grain.
    Built on int_ad_days_joined_to_dims, whose rows already carry the ad group version in force at
    the end of the day (point in time), so the range join runs once. Incremental by whole days.
-#}
{{ config(materialized='incremental', unique_key='date_day', incremental_strategy=day_incremental_strategy(),
          partition_by=day_partition(), on_schema_change='fail') }}

with ad_days as (

    select * from {{ ref('int_ad_days_joined_to_dims') }}
    {% if is_incremental_build() -%}
    where date_day >= {{ rebuild_from([days_rebuilt_upstream(ref('int_ad_days_joined_to_dims'))]) }}
    {%- endif %}

),

daily as (

    select
        adgroup_id,
        campaign_id,
        advertiser_id,
        date_day,
        currency,
        -- one ad group version per ad group and day: every ad row carries the same
        max(adgroup_name) as adgroup_name,
        max(daily_budget) as daily_budget,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(spend) as spend,
        sum(conversions) as conversions

    from ad_days
    group by 1, 2, 3, 4, 5

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
        {{ safe_divide('spend', 'conversions') }} as cpa,
        {{ built_at() }} as _built_at

    from daily

)

select * from final
