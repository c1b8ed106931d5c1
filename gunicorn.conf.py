"""gunicorn's configuration for the portal in production: ``gunicorn -c gunicorn.conf.py``.

Every figure comes from the environment (deploy/kpi-portal.env.example lists them).

- Workers: processes, ``GUNICORN_WORKERS`` (default: the number of cores). Rendering a
  sheet's PDF is CPU-bound Python, which one process runs on one core at a time (the
  GIL): cores are what serve PDFs. Threads (``GUNICORN_THREADS``, default 4, the
  ``gthread`` worker) let a process serve other requests while one waits on the
  database or the storage: page views and autosaves are mostly waiting.
- No preloading of the portal (``preload_app`` off): each worker imports the portal
  itself after the fork. A worker then holds no state shared with the master (database
  connections, fontconfig's caches, threads, settings), ``kill -HUP`` reloads new code
  worker by worker without dropping a request (a deploy), and a worker restarted after
  ``max_requests`` comes up clean.
- The libraries, though, are imported once by the master before it forks
  (``on_starting``, PRELOADED_LIBRARIES): WeasyPrint's C bindings alone take half a second
  of CPU to import, and a worker forked with them loaded starts on about 0.8 s of CPU
  instead of 1.8 s. That matters when a worker is replaced in the middle of a
  quarter-end peak: until it serves, one worker serves alone, and its start-up takes
  CPU from the requests (the load test restarts one). These imports load code only: no
  settings are read, no connection is opened, no thread is started (a test checks), so
  the fork shares nothing that could break, and a deploy's new portal code still comes
  with ``kill -HUP``; a new version of a *library* needs a restart of the service.
  The warm-up below (fonts, a first sheet) still runs in each worker after the fork.
- Timeouts: a request may take ``GUNICORN_TIMEOUT`` seconds (60; a long sheet's PDF
  takes a few seconds, books are built by the book workers, never in a request);
  ``graceful_timeout`` 30 s for requests in flight when a worker is told to stop.
- No keep-alive (``GUNICORN_KEEPALIVE`` 0): each connection carries one request. nginx
  keeps the browsers' connections open; between nginx and gunicorn (loopback or a LAN) a
  new connection costs little. With keep-alive, a worker that is restarted (a deploy,
  ``max_requests``) closes its idle kept-alive connections, and a request sent on one at
  that moment fails with "connection closed without response": the load test saw exactly
  that, twice per restart. Without it a stopping worker only finishes what it has.
- Workers are replaced after ``max_requests`` (20,000, with jitter so that they do not
  all restart together): a slow leak in a library cannot grow for weeks. Not fewer: a
  replacement costs about 2 s of CPU (imports, the PDF renderer's warm-up) and a few
  seconds with one worker less, and at quarter end one worker serves some 35 requests a
  second: 2,000 restarted each worker every minute or so, in the middle of the peak
  (the load test). At 5 requests a second a worker is still replaced about hourly.
- Logs: gunicorn's own to standard error; one JSON line per request comes from the
  portal itself (``DJANGO_ACCESS_LOG``, with the request id), so gunicorn's access log is off.
"""

import logging
import multiprocessing
import os
import time

wsgi_app = "kpi_portal.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "0"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
preload_app = False
# X-Forwarded-Proto is believed from these addresses only (the reverse proxy).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "kpi-portal"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpi_portal.settings")
os.environ.setdefault("DJANGO_ACCESS_LOG", "1")


def warm_up_renderer() -> str:
    """Load fonts and the PDF renderer before the first request (the renderer's own
    warm-up when it has one, else its font configuration)."""
    import importlib

    for module_name in ("reports.printing", "reports.pdf"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        warm_up = getattr(module, "warm_up", None)
        if callable(warm_up):
            warm_up()
            return f"{module_name}.warm_up"
        font_configuration = getattr(module, "font_configuration", None)
        if callable(font_configuration):
            font_configuration()
            return f"{module_name}.font_configuration"
    return "nothing to warm up"


# Modules the portal imports on first use only, imported before the worker's threads start:
# the books' task module runs ldconfig in a subprocess when imported (ctypes.util.find_library,
# reports/books/assembly.py). Imported by the first book order in a request instead, that
# fork failed once in the load test ("Bad exception data from child", a 500 on
# /books/order/) in a worker still serving while it stopped after SIGTERM.
IMPORTED_BEFORE_SERVING = ("reports.tasks",)


def import_before_serving() -> None:
    import importlib

    for module_name in IMPORTED_BEFORE_SERVING:
        importlib.import_module(module_name)


# Libraries (not the portal's own code) imported by the master before it forks: see above.
PRELOADED_LIBRARIES = (
    "weasyprint",
    "weasyprint.text.fonts",
    "weasyprint.pdf",
    "fontTools.subset",
    "pikepdf",
    "openpyxl",
    "django.core.handlers.wsgi",
    "django.urls",
    "django.db.models",
    "django.template.defaulttags",
)


def preload_libraries() -> list[str]:
    """Import PRELOADED_LIBRARIES; the names that failed (imported again, and reported, by
    the worker that needs them)."""
    import importlib

    failed = []
    for module_name in PRELOADED_LIBRARIES:
        try:
            importlib.import_module(module_name)
        except Exception:
            failed.append(module_name)
    return failed


# Their distributions, whose installed versions a reload compares with the master's.
PRELOADED_DISTRIBUTIONS = ("weasyprint", "fonttools", "pikepdf", "openpyxl", "django")


def installed_versions() -> dict[str, str | None]:
    from importlib import metadata

    versions = {}
    for name in PRELOADED_DISTRIBUTIONS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def on_starting(server):
    started = time.monotonic()
    failed = preload_libraries()
    if failed:
        server.log.warning("Libraries not preloaded: %s", ", ".join(failed))
    server.preloaded_versions = installed_versions()
    server.log.info("Libraries preloaded in %.2f s", time.monotonic() - started)


def on_reload(server):
    """A reload (kill -HUP) forks new workers from this master, with the libraries it
    imported: after an update of those, only a restart brings the new versions."""
    changed = {
        name: (before, now)
        for name, before in getattr(server, "preloaded_versions", {}).items()
        if (now := installed_versions()[name]) != before
    }
    if changed:
        server.log.warning(
            "Libraries updated since gunicorn started (%s): restart the service "
            "(systemctl restart kpi-portal-web); a reload keeps the versions already loaded",
            ", ".join(f"{name} {before} -> {now}" for name, (before, now) in changed.items()),
        )


def post_worker_init(worker):
    started = time.monotonic()
    try:
        import_before_serving()
    except Exception:  # imported again, and reported, by the request that needs it
        logging.getLogger("kpi_portal").exception("Import before serving failed")
    try:
        what = warm_up_renderer()
    except Exception:  # a failed warm-up must not stop the worker: the first PDF is just slower
        logging.getLogger("kpi_portal").exception("PDF renderer warm-up failed")
        what = "warm-up failed"
    frozen = freeze_what_is_loaded()
    worker.log.info(
        "Worker %s warmed up (%s) in %.2f s; %d objects frozen",
        worker.pid,
        what,
        time.monotonic() - started,
        frozen,
    )


def freeze_what_is_loaded() -> int:
    """Python's collector leaves what the worker holds from now on to its end alone
    (``gc.freeze``: modules, the URLconf, templates, fonts, the warm-up's caches, some
    150,000 objects): its full collections, which come every few hundred requests, then
    walk only what requests made, instead of taking tens of milliseconds out of one of
    them. What is frozen stays in memory, as it would anyway."""
    import gc

    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
