{#-
    Each order credited to the last day, inside the click attribution window, on which its ad
    had clicks: 0 <= order day - click day < var('attribution_window_days'), in the advertiser's
    time zone. Orders without an ad, or whose ad had no clicks in the window, are not credited.
-#}
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

candidates as (

    select
        orders.order_id,
        orders.order_value,
        orders.currency as order_currency,
        orders.ordered_at,
        click_days.ad_id,
        click_days.adgroup_id,
        click_days.campaign_id,
        click_days.advertiser_id,
        click_days.currency as account_currency,
        click_days.date_day as click_date,
        {{ local_date('orders.ordered_at', 'click_days.advertiser_timezone') }} as order_date

    from orders
    inner join click_days
        on orders.ad_id = click_days.ad_id

),

in_window as (

    select
        *,
        {{ dbt.datediff('click_date', 'order_date', 'day') }} as attribution_lag_days

    from candidates
    where {{ dbt.datediff('click_date', 'order_date', 'day') }} between 0 and {{ var('attribution_window_days') }} - 1

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
