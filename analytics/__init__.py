"""Numerical models the dbt project needs and SQL cannot express: the Markov-chain attribution's
removal effects (an absorbing chain's fundamental matrix) and the buy-till-you-die models (BG/NBD and
Gamma-Gamma fits by maximum likelihood).

Pure functions over numpy arrays and pandas frames, with no warehouse access: the dbt Python models
(DuckDB) and the Dagster fallback assets (adapters without dbt Python models) call the same code.
This package imports only numpy, pandas and scipy.
"""
