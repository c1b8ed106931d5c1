"""Test settings: the real settings with a throwaway key and a fast hasher."""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-a-secret")
os.environ.setdefault("DJANGO_SSL_REDIRECT", "0")

from kpi_portal.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not SQLite's in-memory shared cache: browser tests make concurrent
    # requests (page, favicon, autosave) and the in-memory cache fails them with
    # "table is locked" instead of waiting as a real SQLite file does.
    # One file per test run, so that runs side by side do not share it.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"kpi-portal-tests-{os.getpid()}.sqlite3")
    }
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20  # noqa: F405

# The sheet PDF cache in a directory of this run's own.
CACHES = {**CACHES, "pdf": {**CACHES["pdf"], "LOCATION": tempfile.mkdtemp(prefix="kpi-portal-pdf-cache-")}}  # noqa: F405
