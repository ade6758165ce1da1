{#- One row per campaign version: valid_from <= t < valid_to (valid_to null = current). Join on the version in force, not today's. -#}
with history as (

    select * from {{ ref('stg_tiktok_ads__campaign_history') }}

),

advertisers as (

    select * from {{ ref('stg_tiktok_ads__advertisers') }}

),

final as (

    select
        history.campaign_version_id,
        history.campaign_id,
        history.campaign_name,
        history.objective_type,
        history.budget_mode,
        history.campaign_budget,
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
