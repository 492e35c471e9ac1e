"""What the portability tests compare between DuckDB and another engine built from the same raw data."""

from __future__ import annotations

# marts whose content must not depend on the engine
COMPARED = {
    "marts.dim_contacts": "select count(*), count(distinct contact_id), count(current_stage) from {t}",
    "marts.fct_lifecycle_stage_spells": "select count(*), count(distinct contact_id), sum(case when is_current then 1 else 0 end) from {t}",
    "marts.fct_conversations": "select count(*), count(first_response_seconds), sum(first_response_seconds) from {t}",
    "marts.rpt_lifecycle_funnel": "select count(*) from {t}",
    "segments.seg_hot_leads": "select count(*) from {t}",
    "segments.seg_winback_dormant": "select count(*), sum(orders) from {t}",
    "segments.seg_conversion_events": "select count(*), count(ctwa_clid), sum(value) from {t}",
    "segments.seg_cold_leads": "select count(*) from {t}",
    "marts.fct_attribution_credits": "select count(*), count(distinct conversion_id), sum(credit), sum(revenue_credit), "
                                     "sum(case when model = 'markov' then credit * touch_position else 0 end) from {t}",
    "marts.fct_attribution_markov_channels": "select count(*), sum(removal_effect), sum(attributed_conversions) from {t}",
    "marts.rpt_campaign_performance": "select count(*), sum(spend), sum(clicks), sum(leads), sum(customers), "
                                      "sum(revenue_time_decay), sum(revenue_markov) from {t}",
    "marts.fct_customer_value": "select count(*), sum(orders), sum(btyd_frequency), sum(btyd_monetary_value), "
                                "count(distinct rfm_cell), count(p_alive) from {t}",
    "marts.rpt_rfm_lifecycle_map": "select count(*), sum(customers), sum(customers_moved_in) from {t}",
    "marts.rpt_customer_cohorts": "select count(*), sum(active_customers) from {t}",
    "marts.fct_deal_stage_spells": "select count(*), sum(case when is_current then 1 else 0 end) from {t}",
    "marts.rpt_lifecycle_kpis_daily": "select count(*), sum(new_leads), sum(hot_leads), sum(customers), "
                                      "sum(cold_leads), sum(ad_spend), sum(revenue) from {t}",
    "marts.rpt_lifecycle_stage_durations": "select sum(reached_count), sum(median_seconds_in_stage) from {t}",
    "marts.rpt_first_response_events": "select count(*), count(first_responder_name), sum(response_bucket_order) "
                                       "from {t}",
}

# the BTYD fits: money computed by two engines differs in the last bits, and a six-month history leaves the
# dropout likelihood flat, so the fitted values agree to about 1e-3, not to the last digit
BTYD_SUMS = "select sum(p_alive), sum(predicted_clv), sum(predicted_purchases) from marts.fct_customer_value"
