"""The portal's settings plus the bench's reference view (tools/bench_pages.py only)."""

from kpi_portal.settings import *  # noqa: F403

ROOT_URLCONF = "tools.bench_server.urls"
