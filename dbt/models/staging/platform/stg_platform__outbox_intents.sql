with source as (

    {{ staged_source('adops_platform', 'outbox_intents', get_outbox_intents_columns()) }}

),

renamed as (

    select
        -- ids
        id as intent_id,
        external_ref,
        idempotency_key,
        plan_id,
        account_id as advertiser_id,
        object_id,
        remote_id,
        request_id,

        -- dimensions
        tenant,
        channel,
        action,
        state as intent_state,
        state in ('DONE', 'FAILED') as is_settled,
        payload,
        nullif(last_error, 'null') as last_error,

        -- measures
        attempts,

        -- timestamps (UTC)
        unknown_since,
        created_at,
        updated_at

    from source

),

final as (

    select * from renamed

)

select * from final
