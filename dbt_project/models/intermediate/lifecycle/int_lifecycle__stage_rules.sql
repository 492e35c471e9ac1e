-- The rules that move a contact into a stage, one row per rule, generated at compile time from the stage
-- configuration. rule_kind 'explicit' rows are built from each stage's name and aliases: a stage set by
-- an agent, an AI agent or the CRM moves the contact to the stage whose name or alias it carries.

{{ lifecycle_rules_sql() }}
