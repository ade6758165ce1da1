with source as (

    {{ staged_source('adops_platform', 'plans', get_plans_columns()) }}

),

renamed as (

    select
        -- ids
        plan_id,
        account_id as advertiser_id,

        -- dimensions
        channel,
        action,
        status as plan_status,

        -- JSON text: the plan and its verdicts; the outcome counts (JSON null is null)
        payload,
        nullif(outcome, 'null') as outcome,

        -- timestamps (UTC)
        created_at,
        updated_at

    from source

),

final as (

    select * from renamed

)

select * from final
