{#- Ad x advertiser-local day x age group x gender. -#}
{{ staged_report('ad_report_daily_audience', ['ad_id', 'adgroup_id', 'campaign_id'], 'day',
                 breakdowns=[('age', 'age_group'), ('gender', 'gender')]) }}
