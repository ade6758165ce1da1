{#-
    Expected columns of each raw TikTok table, with dbt.type_*() types (as Fivetran's
    get_<table>_columns macros). Columns the loader has not written yet stage as typed nulls.
-#}
{% macro _cols(spec) -%}
    {%- set out = [] -%}
    {%- for name, kind in spec -%}
        {%- set datatype = {'string': dbt.type_string(), 'bigint': dbt.type_bigint(), 'float': adops.type_double(),
                            'numeric': dbt.type_numeric(), 'timestamp': dbt.type_timestamp()}[kind] -%}
        {%- do out.append({'name': name, 'datatype': datatype}) -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{% macro report_metric_columns() -%}
    {{ return(adops._cols([
        ('advertiser_id', 'string'), ('currency', 'string'), ('timezone', 'string'),
        ('impressions', 'bigint'), ('clicks', 'bigint'), ('spend', 'numeric'), ('conversion', 'bigint'),
        ('reach', 'bigint'), ('frequency', 'float'), ('total_purchase_value', 'numeric'),
        ('video_play_actions', 'bigint'), ('video_watched_2s', 'bigint'), ('video_watched_6s', 'bigint'),
        ('video_views_p25', 'bigint'), ('video_views_p50', 'bigint'), ('video_views_p75', 'bigint'),
        ('video_views_p100', 'bigint'), ('_dlt_load_id', 'string'),
    ])) }}
{%- endmacro %}

{% macro report_columns(dimensions) -%}
    {{ return(adops._cols(dimensions) + adops.report_metric_columns()) }}
{%- endmacro %}

{% macro get_advertiser_columns() -%}
    {{ return(adops._cols([('id', 'string'), ('name', 'string'), ('currency', 'string'), ('timezone', 'string'),
                           ('company', 'string'), ('country', 'string'), ('status', 'string'),
                           ('create_time', 'timestamp')])) }}
{%- endmacro %}

{% macro get_campaign_history_columns() -%}
    {{ return(adops._cols([('campaign_id', 'string'), ('advertiser_id', 'string'), ('campaign_name', 'string'),
                           ('objective_type', 'string'), ('budget_mode', 'string'), ('budget', 'numeric'),
                           ('operation_status', 'string'), ('create_time', 'timestamp'),
                           ('modify_time', 'timestamp')])) }}
{%- endmacro %}

{% macro get_adgroup_history_columns() -%}
    {{ return(adops._cols([('adgroup_id', 'string'), ('campaign_id', 'string'), ('advertiser_id', 'string'),
                           ('adgroup_name', 'string'), ('budget_mode', 'string'), ('budget', 'numeric'),
                           ('bid_type', 'string'), ('bid_price', 'numeric'), ('conversion_bid_price', 'numeric'),
                           ('optimization_goal', 'string'), ('operation_status', 'string'),
                           ('create_time', 'timestamp'), ('modify_time', 'timestamp')])) }}
{%- endmacro %}

{% macro get_ad_history_columns() -%}
    {{ return(adops._cols([('ad_id', 'string'), ('adgroup_id', 'string'), ('campaign_id', 'string'),
                           ('advertiser_id', 'string'), ('ad_name', 'string'), ('ad_format', 'string'),
                           ('video_id', 'string'), ('call_to_action', 'string'), ('landing_page_url', 'string'),
                           ('operation_status', 'string'), ('create_time', 'timestamp'),
                           ('modify_time', 'timestamp')])) }}
{%- endmacro %}

{% macro get_orders_columns() -%}
    {{ return(adops._cols([('order_id', 'string'), ('order_time', 'timestamp'), ('value', 'numeric'),
                           ('currency', 'string'), ('ttclid', 'string'), ('ad_id', 'string'),
                           ('adgroup_id', 'string'), ('campaign_id', 'string'), ('_dlt_load_id', 'string')])) }}
{%- endmacro %}

{% macro get_events_columns() -%}
    {{ return(adops._cols([('event_source_id', 'string'), ('event', 'string'), ('event_id', 'string'),
                           ('event_time', 'string'), ('ttclid', 'string'), ('value', 'numeric'),
                           ('currency', 'string')])) }}
{%- endmacro %}

{#- The renamed metric columns every staged report shares (ids → dimensions → measures). -#}
{% macro staged_report_metrics() -%}
    {%- set raw_names = {'conversions': 'conversion'} -%}
        advertiser_id,
        currency,
        timezone as advertiser_timezone,

        -- measures ("-" was loaded as null: no data, not zero)
        {%- for measure in adops.report_measures() %}
        {{ raw_names[measure] ~ ' as ' if measure in raw_names }}{{ measure }},
        {%- endfor %}

        -- the dlt load that last wrote the row (incremental marts rebuild the days it touched)
        _dlt_load_id
{%- endmacro %}
