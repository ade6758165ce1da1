{#-
    A select of one row per day (column date_day) from start_date to end_date inclusive, up to
    10,000 days. Portable: a digits cross join and dbt.dateadd, no dbt_utils, no generate_series,
    no nested WITH. The bounds are SQL expressions (a scalar subquery is fine).
-#}
{% macro day_spine(start_date, end_date) -%}
    {%- set digits -%}
        ({% for n in range(10) %}select {{ n }} as d{{ ' union all ' if not loop.last }}{% endfor %})
    {%- endset -%}
    select date_day
    from (
        select cast({{ dbt.dateadd('day', 'numbers.n', 'cast(' ~ start_date ~ ' as date)') }} as date) as date_day
        from (
            select ones.d + 10 * tens.d + 100 * hundreds.d + 1000 * thousands.d as n
            from {{ digits }} as ones
            cross join {{ digits }} as tens
            cross join {{ digits }} as hundreds
            cross join {{ digits }} as thousands
        ) as numbers
    ) as days
    where date_day <= cast({{ end_date }} as date)
{%- endmacro %}
