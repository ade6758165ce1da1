{#- One row per adgroup version: valid_from <= t < valid_to (valid_to null = current). Join on the version in force, not today's. -#}
with history as (

    select * from {{ ref('stg_tiktok_ads__adgroup_history') }}

),

advertisers as (

    select * from {{ ref('stg_tiktok_ads__advertisers') }}

),

final as (

    select
        history.adgroup_version_id,
        history.adgroup_id,
        history.campaign_id,
        history.adgroup_name,
        history.budget_mode,
        history.daily_budget,
        history.bid_type,
        history.cost_cap,
        history.optimization_goal,
        history.operation_status,
        history.advertiser_id,
        advertisers.advertiser_name,
        advertisers.currency,
        advertisers.advertiser_timezone,
        history.created_at,
        history.valid_from,
        history.valid_to,
        history.is_most_recent_record as is_current

    from history
    left join advertisers
        on history.advertiser_id = advertisers.advertiser_id

)

select * from final
