"""Entry point of the dashboards: `streamlit run dashboards/app.py` (or `lifecycle dashboard`).

The page files in ``app_pages/`` only lay out. (Not ``pages/``: Streamlit treats a ``pages/`` folder
next to the entry point as a v1 multipage app and would run those files without this entry point.)
SQL lives in :mod:`dashboards.queries`, charts in :mod:`dashboards.charts`. When the warehouse is
missing, not built yet or locked by a pipeline run, the page shows a warning (see :func:`dashboards.ui.show_unavailable`) instead of a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # `streamlit run dashboards/app.py` from a checkout without install
    sys.path.insert(0, str(HERE.parent))

from dashboards import queries  # noqa: E402
from dashboards.ui import show_unavailable  # noqa: E402
from dashboards.warehouse_access import WarehouseUnavailable  # noqa: E402

st.set_page_config(page_title="Customer lifecycle", page_icon=":material/conversion_path:", layout="wide")

PAGES = [
    st.Page(HERE / "app_pages" / "overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page(HERE / "app_pages" / "funnel.py", title="Funnel", icon=":material/filter_alt:", url_path="funnel"),
    st.Page(
        HERE / "app_pages" / "lost_stages.py",
        title="Lost stages",
        icon=":material/trending_down:",
        url_path="lost-stages",
    ),
    st.Page(
        HERE / "app_pages" / "response_times.py",
        title="Response times",
        icon=":material/timer:",
        url_path="response-times",
    ),
    st.Page(HERE / "app_pages" / "contacts.py", title="Contacts", icon=":material/person_search:", url_path="contacts"),
    st.Page(
        HERE / "app_pages" / "campaigns.py",
        title="Campaigns and attribution",
        icon=":material/campaign:",
        url_path="campaigns",
    ),
    st.Page(HERE / "app_pages" / "customers.py", title="Customers", icon=":material/loyalty:", url_path="customers"),
    st.Page(
        HERE / "app_pages" / "activation_health.py",
        title="Activation health",
        icon=":material/sync:",
        url_path="activation",
    ),
    st.Page(HERE / "app_pages" / "segments.py", title="Segments", icon=":material/groups:", url_path="segments"),
]

page = st.navigation(PAGES)

with st.sidebar:
    st.caption(f"Warehouse: `{queries.warehouse_location()}`")
    if st.button("Refresh data", icon=":material/refresh:", help="Read the marts again (cached for a minute)."):
        queries.clear_caches()
        st.rerun()

st.title(page.title)
try:
    page.run()
except WarehouseUnavailable as exc:
    show_unavailable(exc)
