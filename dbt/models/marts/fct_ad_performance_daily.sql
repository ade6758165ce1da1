{#-
    Ad x advertiser-local day KPIs, with that day's names. Daily reach is TikTok's own (never summed).
    Incremental by whole days: the days int_ad_days_joined_to_dims rebuilt since this model's last build.
-#}
{{ config(materialized='incremental', unique_key='date_day', incremental_strategy=day_incremental_strategy(),
          partition_by=day_partition(), on_schema_change='fail') }}

with ad_days as (

    select * from {{ ref('int_ad_days_joined_to_dims') }}
    {% if is_incremental_build() -%}
    where date_day >= {{ rebuild_from([days_rebuilt_upstream(ref('int_ad_days_joined_to_dims'))]) }}
    {%- endif %}

),

final as (

    select
        ad_day_id,
        ad_id,
        adgroup_id,
        campaign_id,
        advertiser_id,
        date_day,
        currency,
        ad_name,
        adgroup_name,
        campaign_name,
        impressions,
        clicks,
        spend,
        conversions,
        reach,
        frequency,
        total_purchase_value,
        video_play_actions,
        video_watched_2s,
        video_watched_6s,
        video_views_p100,
        {{ safe_divide('clicks', 'impressions') }} as ctr,
        {{ safe_divide('spend', 'clicks') }} as cpc,
        {{ safe_divide('spend * 1000', 'impressions') }} as cpm,
        {{ safe_divide('conversions', 'clicks') }} as cvr,
        {{ safe_divide('spend', 'conversions') }} as cpa,
        {{ safe_divide('video_watched_2s', 'impressions') }} as hook_rate,
        {{ safe_divide('video_views_p100', 'video_play_actions') }} as completion_rate,
        {{ built_at() }} as _built_at

    from ad_days

)

select * from final
