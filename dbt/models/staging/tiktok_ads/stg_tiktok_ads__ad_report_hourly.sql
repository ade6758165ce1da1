{#- Ad x advertiser-local hour, the real-time pull (its reach does not add across hours: never summed). -#}
{{ staged_report('ad_report_hourly', ['ad_id', 'adgroup_id', 'campaign_id'], 'hour') }}
