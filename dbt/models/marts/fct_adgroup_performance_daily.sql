{#-
    Ad group x advertiser-local day KPIs. Never sums across currencies: currency is part of the grain.
    Built on int_ad_days_joined_to_dims, whose rows already carry the ad group version in force at
    the end of the day (point in time), so the range join runs once. Incremental by whole days.
-#}
{{ config(day_incremental_config()) }}
{%- set grain = ['adgroup_id', 'campaign_id', 'advertiser_id', 'date_day', 'currency'] %}

with ad_days as (

    {{ rows_to_rebuild(ref('int_ad_days_joined_to_dims')) }}

),

daily as (

    select
        {{ grain | join(', ') }},
        -- one ad group version per ad group and day: every ad row carries the same
        max(adgroup_name) as adgroup_name,
        max(daily_budget) as daily_budget,
        {{ sum_measures(delivery_measures(), grain) }}

    from ad_days
    group by {{ grain | join(', ') }}

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
        {{ delivery_measures() | join(', ') }},
        {{ kpis(delivery_kpis()) }},
        {{ built_at() }} as _built_at

    from daily

)

select * from final
