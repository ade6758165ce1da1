{#- Campaign x advertiser-local hour, the real-time pull. -#}
{{ staged_report('campaign_report_hourly', ['campaign_id'], 'hour') }}
