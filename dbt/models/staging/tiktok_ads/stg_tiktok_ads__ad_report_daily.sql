{#- Ad x advertiser-local day, TikTok's daily report (reach and frequency are TikTok's daily figures). -#}
{{ staged_report('ad_report_daily', ['ad_id', 'adgroup_id', 'campaign_id'], 'day') }}
