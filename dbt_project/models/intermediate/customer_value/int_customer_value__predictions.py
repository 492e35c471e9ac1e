"""BG/NBD + Gamma-Gamma predictions per customer (dbt Python model; adapters in var python_model_adapters).

Fits BG/NBD on every customer's daily buy-till-you-die summary (int_customer_value__summary) and
Gamma-Gamma on the customers with repeat purchase days of positive value, by maximum likelihood
(analytics.btyd, numpy/scipy), then predicts purchases in the next clv_prediction_days, P(alive) at the
observation end, the expected order value and the discounted CLV over clv_horizon_months. With fewer
customers than clv_min_customers (or repeat customers than clv_min_repeat_customers) nothing is fitted and
the predictions are null (btyd_fit_status says why). On other adapters the Dagster asset
python_model_fallbacks runs analytics.btyd.predict_customers and int_customer_value__predictions_fallback reads it.
"""

from analytics.btyd import predict_customers


def model(dbt, session):
    dbt.config(materialized="table")
    summary = dbt.ref("int_customer_value__summary").df()
    # vars reach a Python model through its config (set from var(...) in _customer_value__models.yml)
    settings = {
        "clv_prediction_days": dbt.config.get("clv_prediction_days"),
        "clv_horizon_months": dbt.config.get("clv_horizon_months"),
        "clv_monthly_discount_rate": dbt.config.get("clv_monthly_discount_rate"),
        "clv_min_customers": dbt.config.get("clv_min_customers"),
        "clv_min_repeat_customers": dbt.config.get("clv_min_repeat_customers"),
    }
    return predict_customers(summary, **{k: float(v) for k, v in settings.items()})
