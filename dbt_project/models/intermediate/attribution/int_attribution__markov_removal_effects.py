"""Markov-chain removal effects per conversion type, name and marketing channel (dbt Python model).

Reads the transition counts of int_attribution__markov_transitions and computes, exactly from the absorbing
chain's fundamental matrix (analytics.markov, numpy), RE(c) = 1 - P(conversion | c removed) / P(conversion)
and the share RE(c) / sum of RE. Runs where the adapter has dbt Python models (var python_model_adapters,
DuckDB by default); elsewhere int_attribution__markov_removal_effects_fallback reads what the Dagster asset
`python_model_fallbacks` computed with the same function (docs/attribution.md).
"""

from analytics.markov import removal_effects_by_group

COLUMNS = ["conversion_type", "conversion_name", "marketing_channel", "removal_effect", "share",
           "conversion_probability"]


def model(dbt, session):
    # enabled only where the adapter runs Python models (see _attribution__models.yml)
    dbt.config(materialized="table")
    transitions = dbt.ref("int_attribution__markov_transitions").df()
    effects = removal_effects_by_group(transitions, ["conversion_type", "conversion_name"])
    effects = effects.rename(columns={"channel": "marketing_channel"})
    # explicit dtypes, so an empty result still creates typed columns
    types = {"conversion_type": "string", "conversion_name": "string", "marketing_channel": "string",
             "removal_effect": "float64", "share": "float64", "conversion_probability": "float64"}
    return effects[COLUMNS].astype(types)
