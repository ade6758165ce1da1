{#- Ad x advertiser-local day x country. -#}
{{ staged_report('ad_report_daily_country', ['ad_id', 'adgroup_id', 'campaign_id'], 'day',
                 breakdowns=[('country_code', 'country_code')]) }}
