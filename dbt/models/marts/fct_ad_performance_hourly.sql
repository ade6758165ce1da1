{#-
    Ad x advertiser-local hour (the real-time pull). No reach: unique users do not add across
    hours, so reach lives only in the daily marts. Incremental by whole days: the days with rows from
    new loads (the real-time pull restates today and yesterday every hour), or after a new ad version.
-#}
{{ config(day_incremental_config()) }}

with ad_hours as (

    select * from {{ ref('stg_tiktok_ads__ad_report_hourly') }}
    {% if is_incremental_build() -%}
    where date_day >= {{ rebuild_from([
        days_with_new_loads(ref('stg_tiktok_ads__ad_report_hourly')),
        days_with_changed_counts(ref('stg_tiktok_ads__ad_report_hourly')),
        days_with_new_versions([ref('stg_tiktok_ads__ad_history')])]) }}
    {%- endif %}

),

ad_history as (

    select * from {{ ref('stg_tiktok_ads__ad_history') }}

),

joined as (

    -- point in time: the ad version in force at the end of the hour
    select
        ad_hours.*,
        ad_history.ad_name,
        coalesce(ad_hours.adgroup_id, ad_history.adgroup_id) as resolved_adgroup_id,
        coalesce(ad_hours.campaign_id, ad_history.campaign_id) as resolved_campaign_id,
        {{ greatest_of(['ad_history.valid_from']) }} as _dims_valid_from

    from ad_hours
    left join ad_history
        on ad_hours.ad_id = ad_history.ad_id
        and {{ in_force_at('ad_history', dbt.dateadd('hour', 1, 'ad_hours.stat_hour')) }}

),

final as (

    select
        ad_report_hourly_id as ad_hour_id,
        ad_id,
        resolved_adgroup_id as adgroup_id,
        resolved_campaign_id as campaign_id,
        advertiser_id,
        stat_hour,
        date_day,
        currency,
        ad_name,
        {{ (delivery_measures() + video_measures()) | join(', ') }},
        {{ kpis(delivery_kpis()) }},
        _dlt_load_id,
        _dims_valid_from,
        {{ built_at() }} as _built_at

    from joined

)

select * from final
