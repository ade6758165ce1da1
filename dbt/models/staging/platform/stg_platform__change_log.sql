with source as (

    {{ staged_source('adops_platform', 'change_log', get_change_log_columns()) }}

),

renamed as (

    select
        -- ids
        id as change_id,
        plan_id,
        account_id as advertiser_id,
        level as entity_level,
        entity_id,
        approval_id,
        cast({{ json_text('detail', '$.intent') }} as {{ dbt.type_bigint() }}) as intent_id,

        -- dimensions: the lever, what it was and what the plan asked for (JSON scalars as text)
        kind as change_kind,
        {{ json_text(adapter.quote('current'), '$') }} as current_value,
        {{ json_text('proposed', '$') }} as proposed_value,
        {{ json_number(adapter.quote('current'), '$') }} as current_number,
        {{ json_number('proposed', '$') }} as proposed_number,
        reason as change_reason,
        verdict,
        verdict_reasons,
        outcome,
        nullif(detail, 'null') as outcome_detail,

        -- timestamps (UTC): `at` is the cycle's decision time (an approved change: when it was applied)
        {{ adapter.quote('at') }} as decided_at,
        created_at,
        updated_at

    from source

),

final as (

    select * from renamed

)

select * from final
