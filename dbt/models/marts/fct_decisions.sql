{#-
    One row per optimisation plan of the control plane. The plans reach the warehouse through the
    adops_platform source, which is a documented STUB today: until a load copies adops.control's
    `plans` table there, this mart is empty (but typed and tested).
-#}
with plans as (

    select * from {{ ref('stg_platform__plans') }}

),

final as (

    select
        plan_id,
        advertiser_id,
        channel,
        action,
        plan_status,
        plan_status in ('applied', 'noop') as is_settled,
        payload,
        outcome,
        created_at,
        updated_at,
        cast(created_at as date) as created_date

    from plans

)

select * from final
