with source as (

    {{ staged_source('adops_platform', 'approvals', get_approvals_columns()) }}

),

renamed as (

    select
        -- ids
        id as approval_id,
        plan_id,
        account_id as advertiser_id,
        level as entity_level,
        entity_id,
        kind as change_kind,

        -- dimensions
        status as approval_status,
        decided_by,
        note as decision_note,

        -- JSON text: the change, the guardrails' reasons, the what-if shown, what applying it did
        change as requested_change,
        reasons as approval_reasons,
        nullif(what_if, 'null') as what_if,
        nullif(outcome, 'null') as apply_outcome,

        -- timestamps (UTC)
        requested_at,
        decided_at

    from source

),

final as (

    select * from renamed

)

select * from final
