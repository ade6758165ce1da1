{#- The calendar date of a UTC timestamp in an IANA time zone (the advertiser's reporting day). -#}
{% macro local_date(utc_timestamp, time_zone) -%}
    {{ return(adapter.dispatch('local_date', 'adops')(utc_timestamp, time_zone)) }}
{%- endmacro %}

{% macro default__local_date(utc_timestamp, time_zone) -%}
    cast(timezone({{ time_zone }}, timezone('UTC', cast({{ utc_timestamp }} as timestamp))) as date)
{%- endmacro %}

{% macro bigquery__local_date(utc_timestamp, time_zone) -%}
    date(cast({{ utc_timestamp }} as timestamp), {{ time_zone }})
{%- endmacro %}
