{#-
    One row per change an optimisation cycle proposed (the control plane's change log: plan, level,
    entity, lever), with everything an analyst asks about it: current -> proposed, the guardrails'
    verdict and reasons, the human decision when one was needed, and what the write did (the outbox
    intent's state and TikTok's id). A held account has one `hold` row per cycle. Loaded from the
    control-plane DB by adops.platform_load after every cycle.
-#}
with changes as (

    select * from {{ ref('stg_platform__change_log') }}

),

plans as (

    select * from {{ ref('stg_platform__plans') }}

),

approvals as (

    select * from {{ ref('stg_platform__approvals') }}

),

intents as (

    select * from {{ ref('stg_platform__outbox_intents') }}

),

outbox_events as (

    select * from {{ ref('stg_platform__outbox_events') }}

),

first_sends as (

    select
        intent_id,
        min(event_at) as first_sent_at

    from outbox_events
    where event_kind = 'send'
    group by 1

),

joined as (

    select
        -- ids
        {{ make_key(['changes.plan_id', 'changes.entity_level', 'changes.entity_id', 'changes.change_kind']) }}
            as decision_id,
        changes.change_id,
        changes.plan_id,
        changes.advertiser_id,
        changes.entity_level,
        changes.entity_id,
        changes.approval_id,
        changes.intent_id,

        -- the change
        plans.channel,
        changes.change_kind,
        changes.current_value,
        changes.proposed_value,
        changes.current_number,
        changes.proposed_number,
        changes.change_reason,

        -- the guardrails' verdict, the human decision, the outcome
        changes.verdict,
        changes.verdict_reasons,
        approvals.approval_status,
        approvals.decided_by as approval_decided_by,
        approvals.decision_note as approval_note,
        changes.outcome,
        changes.outcome in ('applied', 'unchanged') as is_in_effect,
        changes.outcome_detail,
        plans.plan_status,

        -- the write (outbox)
        intents.intent_state,
        intents.remote_id,
        intents.attempts as write_attempts,
        intents.last_error as write_error,

        -- timestamps (UTC)
        changes.decided_at,
        cast(changes.decided_at as date) as decided_date,
        approvals.requested_at as approval_requested_at,
        approvals.decided_at as approval_decided_at,
        first_sends.first_sent_at as write_sent_at,
        case when intents.is_settled then intents.updated_at end as write_settled_at,
        changes.created_at,
        changes.updated_at

    from changes
    left join plans on changes.plan_id = plans.plan_id
    left join approvals on changes.approval_id = approvals.approval_id
    left join intents on changes.intent_id = intents.intent_id
    left join first_sends on changes.intent_id = first_sends.intent_id

),

final as (

    select * from joined

)

select * from final
