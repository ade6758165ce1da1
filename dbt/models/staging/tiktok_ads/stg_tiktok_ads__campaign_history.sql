with source as (

    {{ staged_source('tiktok_ads', 'campaign_history', get_campaign_history_columns()) }}

),

renamed as (

    select
        -- ids
        {{ make_key(['campaign_id', 'modify_time']) }} as campaign_version_id,
        campaign_id,
        advertiser_id,

        -- dimensions
        campaign_name,
        objective_type,
        budget_mode,
        operation_status,

        -- measures
        budget as campaign_budget,

        -- timestamps
        create_time as created_at,
        modify_time as modified_at

    from source

),

versioned as (

    -- a version is in force from its modify_time until the next version's
    select
        *,
        modified_at as valid_from,
        lead(modified_at) over (partition by campaign_id order by modified_at) as valid_to

    from renamed

),

final as (

    select
        *,
        valid_to is null as is_most_recent_record

    from versioned

)

select * from final
