{#-
    Each order credited to the last day, inside the click attribution window, on which its ad
    had clicks: 0 <= order day - click day < var('attribution_window_days'), in the advertiser's
    time zone. Orders without an ad, or whose ad had no clicks in the window, are not credited.
    A table: the tests and fct_campaign_kpis_daily read it, so the join runs once per build.
-#}
{{ config(materialized='table') }}

with orders as (

    select * from {{ ref('stg_tiktok_ads__orders') }}

),

ad_report as (

    select * from {{ ref('stg_tiktok_ads__ad_report_daily') }}

),

click_days as (

    select ad_id, adgroup_id, campaign_id, advertiser_id, date_day, currency, advertiser_timezone
    from ad_report
    where clicks > 0

),

order_days as (

    -- the order's local day in each time zone its ad reports in (one, in practice), computed once
    -- per order rather than once per (order, click day) pair
    select
        orders.*,
        ad_zones.advertiser_timezone,
        {{ local_date('orders.ordered_at', 'ad_zones.advertiser_timezone') }} as order_date

    from orders
    inner join (select distinct ad_id, advertiser_timezone from click_days) as ad_zones
        on orders.ad_id = ad_zones.ad_id

),

in_window as (

    -- a range join: only the click days inside the window are paired with the order
    select
        order_days.order_id,
        order_days.order_value,
        order_days.currency as order_currency,
        order_days.ordered_at,
        click_days.ad_id,
        click_days.adgroup_id,
        click_days.campaign_id,
        click_days.advertiser_id,
        click_days.currency as account_currency,
        click_days.date_day as click_date,
        order_days.order_date,
        {{ dbt.datediff('click_days.date_day', 'order_days.order_date', 'day') }} as attribution_lag_days

    from order_days
    inner join click_days
        on order_days.ad_id = click_days.ad_id
        and order_days.advertiser_timezone = click_days.advertiser_timezone
        and click_days.date_day <= order_days.order_date
        and click_days.date_day > cast({{ dbt.dateadd('day', -(var('attribution_window_days') | int),
                                                      'order_days.order_date') }} as date)

),

last_click_day as (

    select
        *,
        row_number() over (partition by order_id order by click_date desc) as click_day_rank

    from in_window

),

final as (

    select
        order_id,
        ad_id,
        adgroup_id,
        campaign_id,
        advertiser_id,
        click_date as date_day,
        order_date,
        attribution_lag_days,
        account_currency,
        order_currency,
        order_value,
        ordered_at

    from last_click_day
    where click_day_rank = 1

)

select * from final
