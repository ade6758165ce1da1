-- The mart must neither lose nor duplicate spend: per currency it equals the staged report.
with mart as (
    select currency, sum(spend) as spend from {{ ref('fct_adgroup_performance_daily') }} group by 1
),
staged as (
    select currency, sum(spend) as spend from {{ ref('stg_tiktok_ads__ad_report_daily') }} group by 1
)
select staged.currency, staged.spend, mart.spend as mart_spend
from staged
left join mart on staged.currency = mart.currency
where abs(coalesce(mart.spend, 0) - staged.spend) > 0.01
