{#-
    Ad x advertiser-local day KPIs, with that day's names. Daily reach is TikTok's own (never summed).
    Incremental by whole days: the days int_ad_days_joined_to_dims rebuilt since this model's last build.
-#}
{{ config(day_incremental_config()) }}

with ad_days as (

    {{ rows_to_rebuild(ref('int_ad_days_joined_to_dims')) }}

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
        {{ delivery_measures() | join(', ') }},
        reach,
        frequency,
        total_purchase_value,
        video_play_actions,
        video_watched_2s,
        video_watched_6s,
        video_views_p100,
        {{ kpis(delivery_kpis() + ['hook_rate', 'completion_rate']) }},
        {{ built_at() }} as _built_at

    from ad_days

)

select * from final
