{#-
    The report measures and the KPI formulas of the marts, each written once.

    Additive measures may be summed over any grain that keeps currencies apart. reach (unique users)
    and frequency (impressions / reach) are not additive: summed over hours or ads they count a
    person again each time, so only TikTok's own daily figure is carried, never a sum.
-#}

{#- Every measure a staged report carries, in column order. -#}
{% macro report_measures() -%}
    {{ return(['impressions', 'clicks', 'spend', 'conversions', 'reach', 'frequency', 'total_purchase_value',
               'video_play_actions', 'video_watched_2s', 'video_watched_6s', 'video_views_p25', 'video_views_p50',
               'video_views_p75', 'video_views_p100']) }}
{%- endmacro %}

{#- The delivery measures every performance mart carries. -#}
{% macro delivery_measures() -%}
    {{ return(['impressions', 'clicks', 'spend', 'conversions']) }}
{%- endmacro %}

{#- The video measures behind the hook and completion rates. -#}
{% macro video_measures() -%}
    {{ return(['video_play_actions', 'video_watched_2s', 'video_views_p100']) }}
{%- endmacro %}

{#-
    `sum(m) as m` for each measure, for a select grouped by `grain` (its group-by columns). Refuses,
    at compile time, a non-additive measure and money summed over a grain without currency.
-#}
{% macro sum_measures(measures, grain) -%}
    {%- for measure in measures -%}
        {%- if measure in ['reach', 'frequency'] -%}
            {{ exceptions.raise_compiler_error("sum_measures: " ~ measure ~ " is not additive (unique users "
               ~ "do not add across hours or ads): carry TikTok's daily figure instead of a sum") }}
        {%- endif -%}
        {%- if measure in ['spend', 'total_purchase_value'] and 'currency' not in grain -%}
            {{ exceptions.raise_compiler_error("sum_measures: " ~ measure ~ " summed per " ~ (grain | join(", "))
               ~ " would add up different currencies: add currency to the grain") }}
        {%- endif -%}
    {%- endfor -%}
    {%- for measure in measures -%}
        sum({{ measure }}) as {{ measure }}{{ ',\n        ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{#- The KPIs of the delivery marts. -#}
{% macro delivery_kpis() -%}
    {{ return(['ctr', 'cpc', 'cpm', 'cvr', 'cpa']) }}
{%- endmacro %}

{#-
    `<formula> as <name>` for each named KPI, a null-safe ratio of the measures of the same row.
    `suffix` names windowed measures: kpis(['cpa'], '_7d') is spend_7d / conversions_7d as cpa_7d.
    roas divides values already converted to the reporting currency (never mixed currencies).
-#}
{% macro kpis(names, suffix='') -%}
    {%- set formulas = {
        'ctr': ('clicks', 'impressions', ''),
        'cpc': ('spend', 'clicks', ''),
        'cpm': ('spend', 'impressions', ' * 1000'),
        'cvr': ('conversions', 'clicks', ''),
        'cpa': ('spend', 'conversions', ''),
        'hook_rate': ('video_watched_2s', 'impressions', ''),
        'completion_rate': ('video_views_p100', 'video_play_actions', ''),
        'roas': ('revenue_reporting', 'spend_reporting', ''),
    } -%}
    {%- for name in names -%}
        {%- if name not in formulas -%}
            {{ exceptions.raise_compiler_error("kpis: unknown KPI '" ~ name ~ "'; known: "
                                               ~ (formulas.keys() | sort | join(', '))) }}
        {%- endif -%}
        {%- set numerator, denominator, scale = formulas[name] -%}
        {{ adops.safe_divide(numerator ~ suffix ~ scale, denominator ~ suffix) }} as {{ name ~ suffix }}
        {{- ',\n        ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
