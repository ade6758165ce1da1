{#-
    Reconciliation: per group (default currency — spend never adds across currencies) the sum of
    `column_name` in the model equals the sum of `reference_column` in `reference` within `tolerance`.
-#}
{% test sums_match(model, column_name, reference, reference_column=none, group_by='currency', tolerance=0.01) %}

with model_totals as (

    select {{ group_by }} as group_key, sum({{ column_name }}) as total
    from {{ model }}
    group by 1

),

reference_totals as (

    select {{ group_by }} as group_key, sum({{ reference_column or column_name }}) as total
    from {{ reference }}
    group by 1

)

select
    coalesce(model_totals.group_key, reference_totals.group_key) as group_key,
    model_totals.total as model_total,
    reference_totals.total as reference_total

from model_totals
full outer join reference_totals
    on model_totals.group_key = reference_totals.group_key
where abs(coalesce(model_totals.total, 0) - coalesce(reference_totals.total, 0)) > {{ tolerance }}

{% endtest %}
