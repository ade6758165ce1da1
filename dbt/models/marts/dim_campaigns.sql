{#- One row per campaign version: valid_from <= t < valid_to (valid_to null = current). Join on the version in force, not today's. -#}
{{ dimension_versions(ref('stg_tiktok_ads__campaign_history'), ref('stg_tiktok_ads__advertisers'), [
    'campaign_version_id', 'campaign_id', 'campaign_name', 'objective_type', 'budget_mode', 'campaign_budget',
    'operation_status']) }}
