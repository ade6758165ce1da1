with source as (

    select * from {{ source('tiktok_ads', 'adgroup_history') }}

),

renamed as (

    select
        adgroup_id || '|' || modify_time as adgroup_version_id,
        cast(adgroup_id as {{ dbt.type_string() }}) as adgroup_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(advertiser_id as {{ dbt.type_string() }}) as advertiser_id,
        adgroup_name,
        budget_mode,
        cast(budget as {{ dbt.type_numeric() }}) as daily_budget,
        operation_status,
        cast(modify_time as {{ dbt.type_timestamp() }}) as modified_at

    from source

),

versioned as (

    select
        *,
        modified_at as valid_from,
        lead(modified_at) over (partition by adgroup_id order by modified_at) as valid_to

    from renamed

),

final as (

    select
        *,
        valid_to is null as is_most_recent_record

    from versioned

)

select * from final
