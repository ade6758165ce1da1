{#-
    A staged TikTok report, the whole model: every report table has the same shape (the ids of its
    level, its time column, optional breakdown dimensions, the shared measures), so it is staged the
    same way: typed (staged_source), a readable key, the advertiser-local day (and hour), then
    staged_report_metrics().

    table_name: the raw table (the key is <table_name>_id); ids: the level's id columns, its own first
    (the key's first part); grain: 'day' (stat_time_day) or 'hour' (stat_time_hour); breakdowns:
    [(raw column, staged name)], text columns that are part of the key.
-#}
{% macro staged_report(table_name, ids, grain, breakdowns=[]) -%}
    {%- if grain not in ['day', 'hour'] -%}
        {{ exceptions.raise_compiler_error("staged_report: grain must be 'day' or 'hour', got '" ~ grain ~ "'") }}
    {%- endif -%}
    {%- set time_column = 'stat_time_' ~ grain -%}
    {%- set dimensions = [] -%}
    {%- set key = [ids[0], time_column if grain == 'hour' else 'cast(' ~ time_column ~ ' as date)'] -%}
    {%- for id in ids %}{% do dimensions.append((id, 'string')) %}{% endfor -%}
    {%- do dimensions.append((time_column, 'timestamp')) -%}
    {%- for raw, staged in breakdowns %}{% do dimensions.append((raw, 'string')) %}{% do key.append(raw) %}{% endfor -%}
with source as (

    {{ adops.staged_source('tiktok_ads', table_name, adops.report_columns(dimensions)) }}

),

renamed as (

    select
        -- ids
        {{ adops.make_key(key) }} as {{ table_name }}_id,
        {%- for id in ids %}
        {{ id }},
        {%- endfor %}
        {%- if grain == 'hour' %}
        -- advertiser-local hour, as TikTok reports it
        stat_time_hour as stat_hour,
        {%- endif %}
        cast({{ time_column }} as date) as date_day,
        {%- for raw, staged in breakdowns %}
        {{ raw }}{{ ' as ' ~ staged if staged != raw }},
        {%- endfor %}
        {{ adops.staged_report_metrics() }}

    from source

),

final as (

    select * from renamed

)

select * from final
{%- endmacro %}
