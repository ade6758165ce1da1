{#- Ad group x advertiser-local hour, the real-time pull. -#}
{{ staged_report('adgroup_report_hourly', ['adgroup_id', 'campaign_id'], 'hour') }}
