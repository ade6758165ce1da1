{#-
    Point-in-time dimensions. TikTok's *_history tables hold one row per version of an entity,
    stamped with its modify_time: a version is in force from its modify_time until the next
    version's (valid_from <= t < valid_to; valid_to null = the current version). Facts join the
    version in force at the end of their day or hour, never today's.
-#}

{#- `relation`'s rows (versions of `entity_id`, changed at `changed_at`) with valid_from, valid_to and
    is_most_recent_record. -#}
{% macro history_versions(relation, entity_id, changed_at='modified_at') -%}
    select
        *,
        valid_to is null as is_most_recent_record

    from (
        select
            *,
            {{ changed_at }} as valid_from,
            lead({{ changed_at }}) over (partition by {{ entity_id }} order by {{ changed_at }}) as valid_to

        from {{ relation }}
    ) as versioned
{%- endmacro %}

{#- The join condition: the version `history` (a relation alias) was in force at `period_end` (exclusive). -#}
{% macro in_force_at(history, period_end) -%}
    {{ history }}.valid_from < {{ period_end }}
        and ({{ history }}.valid_to is null or {{ history }}.valid_to >= {{ period_end }})
{%- endmacro %}

{#-
    A dim_ model: every version of the `history` model, its `columns` first, then its advertiser's
    name, currency and time zone and the version's window (is_current: the version in force now).
-#}
{% macro dimension_versions(history, advertisers, columns) -%}
with history as (

    select * from {{ history }}

),

advertisers as (

    select * from {{ advertisers }}

),

final as (

    select
        {%- for column in columns %}
        history.{{ column }},
        {%- endfor %}
        history.advertiser_id,
        advertisers.advertiser_name,
        advertisers.currency,
        advertisers.advertiser_timezone,
        history.created_at,
        history.valid_from,
        history.valid_to,
        history.is_most_recent_record as is_current

    from history
    left join advertisers
        on history.advertiser_id = advertisers.advertiser_id

)

select * from final
{%- endmacro %}
