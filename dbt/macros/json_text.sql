{#-
    The scalar at `path` ('$' for the whole value, '$.intent' for a key) of a JSON text column, as
    text; null for JSON null or a missing key. The control plane's JSON columns land as JSON text
    (adops.platform_load), which both warehouses parse: DuckDB with json_extract_string,
    BigQuery with JSON_VALUE (which also accepts a JSON-typed column).
-#}
{% macro json_text(column, path) -%}
    {{ return(adapter.dispatch('json_text', 'adops')(column, path)) }}
{%- endmacro %}

{% macro default__json_text(column, path) -%}
    json_extract_string({{ column }}, '{{ path }}')
{%- endmacro %}

{% macro bigquery__json_text(column, path) -%}
    json_value({{ column }}, '{{ path }}')
{%- endmacro %}

{#- The number at `path` of a JSON text column; null for a string ('enabled'), JSON null or no key. -#}
{% macro json_number(column, path) -%}
    {{ return(adapter.dispatch('json_number', 'adops')(column, path)) }}
{%- endmacro %}

{% macro default__json_number(column, path) -%}
    try_cast({{ adops.json_text(column, path) }} as {{ adops.type_double() }})
{%- endmacro %}

{% macro bigquery__json_number(column, path) -%}
    safe_cast({{ adops.json_text(column, path) }} as {{ adops.type_double() }})
{%- endmacro %}
