{#- Ad x advertiser-local day x platform. -#}
{{ staged_report('ad_report_daily_platform', ['ad_id', 'adgroup_id', 'campaign_id'], 'day',
                 breakdowns=[('platform', 'platform')]) }}
