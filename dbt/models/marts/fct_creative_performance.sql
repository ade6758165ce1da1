{#-
    One row per ad (creative) and account currency over the loaded period: hook rate
    (2-second views / impressions), completion (p100 views / plays), CTR, CVR, its share of the
    advertiser's conversions, and Top/Flop ranks among ads with enough impressions
    (var creative_min_impressions). Top: most conversions, then highest CTR. Flop: fewest
    conversions, then most spend (money spent without result).
-#}
{%- set grain = ['ad_id', 'advertiser_id', 'currency'] %}
with ad_days as (

    select * from {{ ref('int_ad_days_joined_to_dims') }}

),

ads as (

    select * from {{ ref('dim_ads') }}

),

totals as (

    select
        {{ grain | join(', ') }},
        min(date_day) as first_day,
        max(date_day) as last_day,
        {{ sum_measures(delivery_measures() + video_measures(), grain) }}

    from ad_days
    group by {{ grain | join(', ') }}

),

rates as (

    select
        totals.*,
        ads.ad_name,
        ads.video_id,
        {{ kpis(['hook_rate', 'completion_rate', 'ctr', 'cvr']) }},
        {{ safe_divide('conversions', 'sum(conversions) over (partition by totals.advertiser_id, totals.currency)') }}
            as conversion_share,
        impressions >= {{ var('creative_min_impressions') }} as is_rankable

    from totals
    left join ads
        on totals.ad_id = ads.ad_id
        and ads.is_current

),

ranked as (

    select
        *,
        case when is_rankable then row_number() over (
            partition by advertiser_id, currency, is_rankable
            order by conversions desc, ctr desc, ad_id) end as top_rank,
        case when is_rankable then row_number() over (
            partition by advertiser_id, currency, is_rankable
            order by conversions asc, spend desc, ad_id) end as flop_rank

    from rates

),

final as (

    select
        {{ make_key(['ad_id', 'currency']) }} as creative_id,
        ad_id,
        advertiser_id,
        currency,
        ad_name,
        video_id,
        first_day,
        last_day,
        {{ (delivery_measures() + video_measures()) | join(', ') }},
        hook_rate,
        completion_rate,
        ctr,
        cvr,
        conversion_share,
        top_rank,
        flop_rank,
        coalesce(top_rank <= {{ var('creative_top_n') }}, false) as is_top,
        coalesce(flop_rank <= {{ var('creative_top_n') }}, false) as is_flop

    from ranked

)

select * from final
