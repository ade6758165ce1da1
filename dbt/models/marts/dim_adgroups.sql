{#- One row per adgroup version: valid_from <= t < valid_to (valid_to null = current). Join on the version in force, not today's. -#}
{{ dimension_versions(ref('stg_tiktok_ads__adgroup_history'), ref('stg_tiktok_ads__advertisers'), [
    'adgroup_version_id', 'adgroup_id', 'campaign_id', 'adgroup_name', 'budget_mode', 'daily_budget', 'bid_type',
    'cost_cap', 'optimization_goal', 'operation_status']) }}
