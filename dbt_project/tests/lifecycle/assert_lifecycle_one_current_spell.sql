-- Every contact with a stage history has exactly one current spell, and dim_contacts shows that spell.
with per_contact as (
    select
        contact_id,
        sum(case when is_current then 1 else 0 end) as current_spells
    from {{ ref('fct_lifecycle_stage_spells') }}
    group by contact_id
)

select
    per_contact.contact_id,
    per_contact.current_spells,
    'current spells' as problem
from per_contact
where per_contact.current_spells <> 1

union all

select
    dim.contact_id,
    0,
    'dim_contacts disagrees with the current spell'
from {{ ref('dim_contacts') }} as dim
left join {{ ref('fct_lifecycle_stage_spells') }} as spells
    on dim.contact_id = spells.contact_id
    and spells.is_current
where coalesce(dim.current_stage, '') <> coalesce(spells.stage, '')
