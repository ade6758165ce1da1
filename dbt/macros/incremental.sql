{#-
    Incremental marts rebuild whole advertiser-local days, never single rows: a restated day is
    replaced wholesale (delete+insert on date_day in DuckDB, insert_overwrite of the date_day
    partition in BigQuery), so a full refresh and any sequence of incremental builds give the
    same table.

    Which days? The loads restate windows of different sizes (real-time: today and yesterday;
    finalising: 3 days, 28 on the weekly sweep), so the window is read from the data, not assumed:
      * rows of a row-level model carry the raw row's `_dlt_load_id`; a raw row whose load id the
        model has never seen was written by a load since the last build (exact, whatever the order
        in which loads commit); a day whose row count differs from the raw table's is rebuilt too
        (rows written or deleted outside dlt);
      * rows also carry `_built_at` (the dbt run that wrote them); a model built on another
        incremental model rebuilds the days its parent rebuilt since the model's own last build;
      * a new dimension version (valid_from after every version the model has joined) changes the
        days from its valid_from on (point-in-time joins);
      * and at least the last var('incremental_lookback_days') days are always rebuilt.
-#}

{#- is_incremental(), except when compiling offline (assume_sources_exist), where no relation can
    be looked up: then var('compile_incremental') chooses the branch, so both can be checked. -#}
{% macro is_incremental_build() -%}
    {%- if var('assume_sources_exist', false) -%}
        {{ return(var('compile_incremental', false)) }}
    {%- endif -%}
    {%- if this is none -%}  {#- a unit test: the model is built from its given rows -#}
        {{ return(false) }}
    {%- endif -%}
    {{ return(is_incremental()) }}
{%- endmacro %}

{#- The config of the day-grained incremental models, {{ config(day_incremental_config()) }}: whole
    days replaced (delete+insert, the DuckDB default) or date_day partitions overwritten (BigQuery). -#}
{% macro day_incremental_config() -%}
    {%- set bigquery = target.type == 'bigquery' -%}
    {{ return({'materialized': 'incremental', 'unique_key': 'date_day',
               'incremental_strategy': 'insert_overwrite' if bigquery else 'delete+insert',
               'partition_by': {'field': 'date_day', 'data_type': 'date'} if bigquery else none,
               'on_schema_change': 'fail'}) }}
{%- endmacro %}

{#- A timestamp before any data: the watermark of an empty model. -#}
{% macro epoch() -%}
    cast('1970-01-01 00:00:00' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- The marker every rebuilt row carries: when this dbt invocation started. -#}
{% macro built_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- Days holding raw rows from loads this model has not seen (upstream carries _dlt_load_id). -#}
{% macro days_with_new_loads(upstream, date_column='date_day') -%}
    select min({{ date_column }}) as changed_day
    from {{ upstream }}
    where _dlt_load_id not in (select distinct _dlt_load_id from {{ this }} where _dlt_load_id is not null)
{%- endmacro %}

{#- Days whose row count differs between a 1:1 upstream and this model: rows written or deleted
    outside a dlt load (so without a new load id), or removed by a load, are caught too. -#}
{% macro days_with_changed_counts(upstream, date_column='date_day') -%}
    select min(coalesce(upstream_days.day, model_days.day)) as changed_day
    from (select {{ date_column }} as day, count(*) as n from {{ upstream }} group by 1) as upstream_days
    full outer join (select date_day as day, count(*) as n from {{ this }} group by 1) as model_days
        on upstream_days.day = model_days.day
    where upstream_days.n is distinct from model_days.n
{%- endmacro %}

{#- The rows of an incremental parent in the days to rebuild: on an incremental build, the days it
    rebuilt since this model's last build (days_rebuilt_upstream) and the look-back; else all. -#}
{% macro rows_to_rebuild(upstream) -%}
    select * from {{ upstream }}
    {% if adops.is_incremental_build() -%}
    where date_day >= {{ adops.rebuild_from([adops.days_rebuilt_upstream(upstream)]) }}
    {%- endif %}
{%- endmacro %}

{#- Days an incremental parent rebuilt after this model's last build (both carry _built_at). -#}
{% macro days_rebuilt_upstream(upstream, date_column='date_day') -%}
    select min({{ date_column }}) as changed_day
    from {{ upstream }}
    where _built_at > coalesce((select max(_built_at) from {{ this }}), {{ adops.epoch() }})
{%- endmacro %}

{#- Days from the earliest dimension version newer than any this model joined (column _dims_valid_from). -#}
{% macro days_with_new_versions(histories) -%}
    select cast(min(valid_from) as date) as changed_day
    from (
        {%- for history in histories %}
        select valid_from from {{ history }}
        {{ 'union all' if not loop.last }}
        {%- endfor %}
    ) as versions
    where valid_from > coalesce((select max(_dims_valid_from) from {{ this }}), {{ adops.epoch() }})
{%- endmacro %}

{#-
    The first day to rebuild: the earliest changed day among `changes` (selects of one
    `changed_day` column), at the latest the last var('incremental_lookback_days') days, then
    `widen_days` earlier (windows that look back, such as attribution or trailing sums).
-#}
{% macro rebuild_from(changes, widen_days=0) -%}
    {%- set lookback = var('incremental_lookback_days') | int -%}
    cast((
        select cast({{ dbt.dateadd('day', -(widen_days | int), 'min(changed_day)') }} as date)
        from (
            select cast({{ dbt.dateadd('day', -(lookback - 1), 'max(date_day)') }} as date) as changed_day
            from {{ this }}
            {%- for change in changes %}
            union all
            select changed_day from ({{ change }}) as change_{{ loop.index }}
            {%- endfor %}
        ) as changed_days
    ) as date)
{%- endmacro %}

{#- The greatest of nullable timestamps (null ones ignored; BigQuery's greatest() is null on any null). -#}
{% macro greatest_of(expressions) -%}
    greatest(
        {%- for expression in expressions %}
        coalesce({{ expression }}, {{ adops.epoch() }}){{ ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}
