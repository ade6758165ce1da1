{#- amount in `currency` → the reporting currency (var reporting_currency), via the fx_rates seed columns. -#}
{% macro to_reporting_currency(amount, rate_to_usd, reporting_rate_to_usd) -%}
    {{ safe_divide(amount ~ ' * ' ~ rate_to_usd, reporting_rate_to_usd) }}
{%- endmacro %}
