{#-
    Ad x advertiser-local day metrics with the names and budget that were in force that day
    (point in time: the version valid at the end of the day), not today's names.
    Incremental by whole days (macros/incremental.sql): the days with rows from loads it has not
    seen, with a different row count than the raw table, or after a new dimension version.
-#}
{{ config(day_incremental_config()) }}

with ad_report as (

    select * from {{ ref('stg_tiktok_ads__ad_report_daily') }}
    {% if is_incremental_build() -%}
    where date_day >= {{ rebuild_from([
        days_with_new_loads(ref('stg_tiktok_ads__ad_report_daily')),
        days_with_changed_counts(ref('stg_tiktok_ads__ad_report_daily')),
        days_with_new_versions([ref('stg_tiktok_ads__ad_history'), ref('stg_tiktok_ads__adgroup_history'),
                                ref('stg_tiktok_ads__campaign_history')])]) }}
    {%- endif %}

),

ad_history as (

    select * from {{ ref('stg_tiktok_ads__ad_history') }}

),

adgroup_history as (

    select * from {{ ref('stg_tiktok_ads__adgroup_history') }}

),

campaign_history as (

    select * from {{ ref('stg_tiktok_ads__campaign_history') }}

),

report_days as (

    select
        *,
        {{ dbt.dateadd('day', 1, 'cast(date_day as ' ~ dbt.type_timestamp() ~ ')') }} as day_ends_at

    from ad_report

),

joined as (

    select
        report_days.*,
        ad_history.ad_name,
        ad_history.ad_format,
        ad_history.video_id,
        adgroup_history.adgroup_name,
        adgroup_history.daily_budget,
        campaign_history.campaign_name,
        campaign_history.objective_type,
        -- the newest dimension version this row was joined to (incremental bookkeeping)
        {{ adops.greatest_of(['ad_history.valid_from', 'adgroup_history.valid_from',
                              'campaign_history.valid_from']) }} as _dims_valid_from

    from report_days
    left join ad_history
        on report_days.ad_id = ad_history.ad_id
        and {{ in_force_at('ad_history', 'report_days.day_ends_at') }}
    left join adgroup_history
        on report_days.adgroup_id = adgroup_history.adgroup_id
        and {{ in_force_at('adgroup_history', 'report_days.day_ends_at') }}
    left join campaign_history
        on report_days.campaign_id = campaign_history.campaign_id
        and {{ in_force_at('campaign_history', 'report_days.day_ends_at') }}

),

final as (

    select
        ad_report_daily_id as ad_day_id,
        ad_id,
        adgroup_id,
        campaign_id,
        advertiser_id,
        date_day,
        currency,
        advertiser_timezone,
        ad_name,
        ad_format,
        video_id,
        adgroup_name,
        daily_budget,
        campaign_name,
        objective_type,
        {{ report_measures() | join(', ') }},
        _dlt_load_id,
        _dims_valid_from,
        {{ built_at() }} as _built_at

    from joined

)

select * from final
