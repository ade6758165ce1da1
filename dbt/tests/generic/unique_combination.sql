{#- The grain: no two rows share the same values of `combination` (a list of column expressions). -#}
{% test unique_combination(model, combination) %}

select
    {{ combination | join(', ') }},
    count(*) as rows_in_grain

from {{ model }}
group by {{ combination | join(', ') }}
having count(*) > 1

{% endtest %}
