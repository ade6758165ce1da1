with source as (

    {{ staged_source('adops_platform', 'outbox_events', get_outbox_events_columns()) }}

),

renamed as (

    select
        -- ids
        id as event_id,
        intent_id,

        -- dimensions
        kind as event_kind,
        state as intent_state,
        worker,
        nullif(detail, 'null') as event_detail,

        -- timestamps (UTC)
        {{ adapter.quote('at') }} as event_at

    from source

),

final as (

    select * from renamed

)

select * from final
