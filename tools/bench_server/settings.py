"""The portal's settings plus the bench's reference view (tools/bench_pages.py only)."""

import os

from kpi_portal.settings import *  # noqa: F403

ROOT_URLCONF = "tools.bench_server.urls"

if os.environ.get("BENCH_PAGES_NO_CACHE") == "1":
    # Every page computed afresh: what a page costs when its cached rendering is stale.
    CACHES = {
        **CACHES,  # noqa: F405
        "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
        "sheets": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
