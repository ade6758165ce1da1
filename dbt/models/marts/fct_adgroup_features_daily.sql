{#-
    The optimiser's (ml/, Feast) features: per ad group, account currency and day, trailing 7- and
    14-day spend, conversions, CPA and CTR. Days without delivery between an ad group's first
    and last reported day are filled with zeros from a day spine, so "7 days" is 7 calendar days.
-#}
with adgroup_days as (

    select * from {{ ref('fct_adgroup_performance_daily') }}

),

bounds as (

    select adgroup_id, advertiser_id, currency, min(date_day) as first_day, max(date_day) as last_day
    from adgroup_days
    group by 1, 2, 3

),

spine as (

    {{ day_spine('(select min(date_day) from ' ~ ref('fct_adgroup_performance_daily') ~ ')',
                 '(select max(date_day) from ' ~ ref('fct_adgroup_performance_daily') ~ ')') }}

),

filled as (

    select
        bounds.adgroup_id,
        bounds.advertiser_id,
        bounds.currency,
        spine.date_day,
        coalesce(adgroup_days.impressions, 0) as impressions,
        coalesce(adgroup_days.clicks, 0) as clicks,
        coalesce(adgroup_days.spend, 0) as spend,
        coalesce(adgroup_days.conversions, 0) as conversions,
        adgroup_days.daily_budget

    from bounds
    inner join spine
        on spine.date_day between bounds.first_day and bounds.last_day
    left join adgroup_days
        on bounds.adgroup_id = adgroup_days.adgroup_id
        and bounds.currency = adgroup_days.currency
        and spine.date_day = adgroup_days.date_day

),

rolling as (

    select
        *,
        {% for days in [7, 14] -%}
        {%- for measure in delivery_measures() -%}
        sum({{ measure }}) over (partition by adgroup_id, currency order by date_day
                                 rows between {{ days - 1 }} preceding and current row) as {{ measure }}_{{ days }}d,
        {% endfor -%}
        {%- endfor -%}
        count(*) over (partition by adgroup_id, currency order by date_day
                       rows between 13 preceding and current row) as days_of_history

    from filled

),

final as (

    select
        {{ make_key(['adgroup_id', 'date_day', 'currency']) }} as adgroup_day_id,
        adgroup_id,
        advertiser_id,
        date_day,
        currency,
        daily_budget,
        spend,
        conversions,
        {% for days in [7, 14] -%}
        spend_{{ days }}d,
        conversions_{{ days }}d,
        {{ kpis(['cpa', 'ctr'], suffix='_' ~ days ~ 'd') }},
        {% endfor -%}
        days_of_history

    from rolling

)

select * from final
