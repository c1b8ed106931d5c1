"""gunicorn's master imports the libraries before it forks its workers
(gunicorn.conf.py's on_starting): code only. Were the master to read the settings, open a
connection, start a thread or import the portal's own modules, every worker would share
that state across the fork, and `kill -HUP` would no longer bring a deploy's new code."""

import gc
import json
import runpy
import subprocess
import sys
from importlib import metadata

import pytest
from django.conf import settings

CHECK = """
import json, os, runpy, sys
conf = runpy.run_path(sys.argv[1])
before = set(sys.modules)
failed = conf["preload_libraries"]()
from django.conf import settings
from django.db import connections
print(json.dumps({
    "failed": failed,
    "weasyprint": "weasyprint.text.ffi" in sys.modules,
    "new_modules": len(set(sys.modules) - before),
    "portal_modules": sorted(
        name for name in sys.modules if name.split(".")[0] in ("kpi_portal", "reports", "indicators")
    ),
    "settings_read": settings.configured,
    "threads": len(os.listdir("/proc/self/task")),
}))
"""


def test_the_master_preloads_libraries_only():
    done = subprocess.run(
        [sys.executable, "-c", CHECK, str(settings.BASE_DIR / "gunicorn.conf.py")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=settings.BASE_DIR,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    assert found["failed"] == []
    assert found["weasyprint"] and found["new_modules"] > 100  # WeasyPrint's C bindings and the rest
    assert found["portal_modules"] == []
    assert found["settings_read"] is False
    assert found["threads"] == 1


class Server:
    """What the hooks use of gunicorn's arbiter: its log."""

    def __init__(self):
        self.warnings, self.infos = [], []
        self.log = self

    def warning(self, message, *args):
        self.warnings.append(message % args)

    def info(self, message, *args):
        self.infos.append(message % args)


def test_a_reload_after_a_library_update_says_to_restart():
    conf = runpy.run_path(str(settings.BASE_DIR / "gunicorn.conf.py"))
    server = Server()
    conf["on_starting"](server)
    conf["on_reload"](server)
    assert server.warnings == []  # nothing updated since
    server.preloaded_versions["weasyprint"] = "0.1"
    conf["on_reload"](server)
    (warning,) = server.warnings
    assert f"weasyprint 0.1 -> {metadata.version('weasyprint')}" in warning
    assert "systemctl restart kpi-portal-web" in warning


@pytest.mark.django_db
def test_a_worker_freezes_what_it_loaded_after_its_warm_up():
    conf = runpy.run_path(str(settings.BASE_DIR / "gunicorn.conf.py"))
    worker = Server()
    worker.pid = 1234
    try:
        conf["post_worker_init"](worker)
        frozen = gc.get_freeze_count()
    finally:
        gc.unfreeze()
    # This test process holds Django, the portal and pytest: far more than 10,000 objects.
    assert frozen > 10_000
    (line,) = worker.infos
    assert line.startswith("Worker 1234 warmed up (reports.printing.warm_up) in ")
    assert line.endswith(f"; {frozen} objects frozen")
