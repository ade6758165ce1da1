with source as (

    {{ staged_source('tiktok_ads', 'events', get_events_columns()) }}

),

renamed as (

    select
        -- ids
        {{ make_key(['event_source_id', 'event', 'event_id']) }} as conversion_event_id,
        event_source_id,
        event_id,
        ttclid,

        -- dimensions
        event as event_name,

        -- measures
        value as event_value,
        currency,

        -- timestamps (as sent; hashed identifiers stay in the raw table)
        event_time

    from source

),

final as (

    select * from renamed

)

select * from final
