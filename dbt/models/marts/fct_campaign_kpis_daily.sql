{#-
    Campaign x advertiser-local day x account currency: delivery KPIs, attributed revenue and ROAS.
    Revenue comes from orders credited inside the click attribution window
    (int_orders_attributed_to_ad_days). Orders may be in another currency than the ad account,
    so revenue and spend are both converted to var('reporting_currency') through the fx_rates
    seed before ROAS is taken. Reach is not carried: it does not add across ads.
-#}
{%- set grain = ['campaign_id', 'advertiser_id', 'date_day', 'currency'] %}
with ad_days as (

    select * from {{ ref('int_ad_days_joined_to_dims') }}

),

attributed_orders as (

    select * from {{ ref('int_orders_attributed_to_ad_days') }}

),

fx_rates as (

    select * from {{ ref('fx_rates') }}

),

reporting_rate as (

    select rate_to_usd as reporting_rate_to_usd
    from fx_rates
    where currency_code = '{{ var("reporting_currency") }}'

),

delivery as (

    select
        {{ grain | join(', ') }},
        max(campaign_name) as campaign_name,
        {{ sum_measures(delivery_measures(), grain) }}

    from ad_days
    group by {{ grain | join(', ') }}

),

revenue as (

    select
        attributed_orders.campaign_id,
        attributed_orders.date_day,
        attributed_orders.account_currency as currency,
        count(*) as attributed_orders,
        sum({{ to_reporting_currency('attributed_orders.order_value', 'fx_rates.rate_to_usd',
                                     'reporting_rate.reporting_rate_to_usd') }}) as revenue_reporting

    from attributed_orders
    cross join reporting_rate
    left join fx_rates
        on attributed_orders.order_currency = fx_rates.currency_code
    group by 1, 2, 3

),

joined as (

    select
        delivery.*,
        coalesce(revenue.attributed_orders, 0) as attributed_orders,
        coalesce(revenue.revenue_reporting, 0) as revenue_reporting,
        {{ to_reporting_currency('delivery.spend', 'fx_rates.rate_to_usd',
                                 'reporting_rate.reporting_rate_to_usd') }} as spend_reporting

    from delivery
    cross join reporting_rate
    left join fx_rates
        on delivery.currency = fx_rates.currency_code
    left join revenue
        on delivery.campaign_id = revenue.campaign_id
        and delivery.date_day = revenue.date_day
        and delivery.currency = revenue.currency

),

final as (

    select
        {{ make_key(['campaign_id', 'date_day', 'currency']) }} as campaign_day_id,
        campaign_id,
        campaign_name,
        advertiser_id,
        date_day,
        currency,
        '{{ var("reporting_currency") }}' as reporting_currency,
        {{ delivery_measures() | join(', ') }},
        attributed_orders,
        spend_reporting,
        revenue_reporting,
        {{ kpis(delivery_kpis() + ['roas']) }}

    from joined

)

select * from final
