-- The configured stages (active funnel stages and lost stages), one row per stage. Generated at compile
-- time from the stage configuration (macros/lifecycle/lifecycle_config.sql): reports join this table
-- instead of naming stages, so a new preset or an added stage flows through with no SQL edit.

{{ lifecycle_stages_sql() }}
