{#- A 64-bit float everywhere (dbt.type_float() is a 32-bit FLOAT on DuckDB, which blurs ratios). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'adops')()) }}
{%- endmacro %}

{% macro default__type_double() -%}double precision{%- endmacro %}

{% macro duckdb__type_double() -%}double{%- endmacro %}

{% macro bigquery__type_double() -%}float64{%- endmacro %}
