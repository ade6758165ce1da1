{#-
    dbt's hook for a test's `where` config, extended with one placeholder: `__rebuilt__` keeps the
    rows written by this dbt invocation (`_built_at`). Incremental marts replace whole days, and their
    keys contain the day, so a duplicate or null key can only appear in the days rebuilt now: a grain
    test on them stays exact while costing a few days instead of the whole table. On a full build
    every row is rebuilt, so everything is tested. Reconciliation (sums_match) tests take no
    `where`: they always compare whole tables.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- set where = where | replace('__rebuilt__', '_built_at = ' ~ adops.built_at()) -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}
