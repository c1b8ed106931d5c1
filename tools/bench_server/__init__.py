"""Bench-only settings and URLs for tools/bench_pages.py: never imported by the portal."""
