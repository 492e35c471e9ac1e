-- Spells of a contact are contiguous and never overlap: each spell ends exactly when the next begins,
-- starts strictly before it ends, and only the last spell is open.
with spells as (
    select
        contact_id,
        spell_number,
        entered_at,
        exited_at,
        lead(entered_at) over (partition by contact_id order by spell_number) as next_entered_at,
        lead(spell_number) over (partition by contact_id order by spell_number) as next_spell_number
    from {{ ref('fct_lifecycle_stage_spells') }}
)

select *
from spells
where (next_entered_at is null and exited_at is not null)
    or (next_entered_at is not null and (exited_at is null or exited_at <> next_entered_at))
    or (exited_at is not null and exited_at <= entered_at)
    or (next_spell_number is not null and next_spell_number <> spell_number + 1)
