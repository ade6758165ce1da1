{#-
    Select the expected columns of a raw table, typed, whatever state the raw table is in:
    a column the loader has not created yet (dlt adds a column only once a value arrives) comes
    back as a typed null, and a table that is not loaded yet comes back as an empty, typed
    relation. So `dbt build` never fails because a raw table or column is missing, and the
    staging model is still the only caller of source().

    `columns` is a list of {'name', 'datatype'} (see macros/staging/), plus 'quote': true for a
    column named like a reserved word (`current`, `at` in BigQuery), which is then quoted. With
    `--vars '{assume_sources_exist: true}'` nothing is introspected, so the project compiles
    offline (the BigQuery validity test).
-#}
{% macro staged_source(source_name, table_name, columns) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set present = columns | map(attribute='name') | list -%}
    {%- set exists = true -%}
    {%- if execute and not var('assume_sources_exist', false) -%}
        {%- set found = adapter.get_relation(database=relation.database, schema=relation.schema,
                                             identifier=relation.identifier) -%}
        {%- set exists = found is not none -%}
        {%- set present = (adapter.get_columns_in_relation(found) | map(attribute='name') | map('lower') | list)
                          if exists else [] -%}
    {%- endif %}
    select
        {%- for column in columns %}
        {%- set ident = adapter.quote(column.name) if column.quote else column.name %}
        {% if column.name in present -%}
        cast({{ ident }} as {{ column.datatype }})
        {%- else -%}
        cast(null as {{ column.datatype }})
        {%- endif %} as {{ ident }}{{ ',' if not loop.last }}
        {%- endfor %}
    {% if exists -%}
    from {{ relation }}
    {%- else -%}
    from (select 1 as placeholder) as missing_{{ table_name }}
    where 1 = 0
    {%- endif %}
{%- endmacro %}
