{#-
    Every day between a partition's first and last day has at least one row: a gap means a load
    window was lost. The spine comes from the day_spine macro (no dbt_utils).
-#}
{% test no_missing_days(model, column_name, partition_by) %}

with observed as (

    select distinct {{ partition_by }} as partition_key, cast({{ column_name }} as date) as date_day
    from {{ model }}

),

bounds as (

    select partition_key, min(date_day) as first_day, max(date_day) as last_day
    from observed
    group by 1

),

spine as (

    {{ day_spine('(select min(' ~ column_name ~ ') from ' ~ model ~ ')',
                 '(select max(' ~ column_name ~ ') from ' ~ model ~ ')') }}

)

select bounds.partition_key, spine.date_day as missing_day
from bounds
inner join spine
    on spine.date_day between bounds.first_day and bounds.last_day
left join observed
    on observed.partition_key = bounds.partition_key
    and observed.date_day = spine.date_day
where observed.date_day is null

{% endtest %}
