{#- One row per ad version: valid_from <= t < valid_to (valid_to null = current). Join on the version in force, not today's. -#}
{{ dimension_versions(ref('stg_tiktok_ads__ad_history'), ref('stg_tiktok_ads__advertisers'), [
    'ad_version_id', 'ad_id', 'adgroup_id', 'campaign_id', 'ad_name', 'ad_format', 'video_id', 'call_to_action',
    'landing_page_url', 'operation_status']) }}
