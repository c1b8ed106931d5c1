# The portal's two everyday commands: `make run` and `make test`.
PYTHON := .venv/bin/python
DEV := DJANGO_DEBUG=1

.PHONY: setup run test bench lint messages fonts prod-local loadtest

setup:
	tools/setup.sh

run: setup
	$(DEV) $(PYTHON) manage.py migrate --noinput
	$(DEV) $(PYTHON) manage.py seed_demo --if-empty
	# A background worker for books beside the server; stopped with it.
	$(DEV) $(PYTHON) manage.py book_worker --worker-id local-worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(DEV) $(PYTHON) manage.py runserver 127.0.0.1:8000

test:
	tools/setup.sh --tests
	.venv/bin/pytest

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports
	$(DEV) $(PYTHON) manage.py makemigrations --check --dry-run

# The production configuration on this machine (PostgreSQL, DEBUG off, gunicorn, book
# workers): see README "Operations".
prod-local: setup
	tools/prod_local.sh

# The quarter-end load test against a prod-local-like server (PostgreSQL, bench data).
loadtest: setup
	$(PYTHON) tools/loadtest.py

bench: setup
	$(PYTHON) tools/bench.py
	$(PYTHON) tools/bench_books.py
	$(PYTHON) tools/bench_import.py
	$(PYTHON) tools/bench_migration.py
	$(PYTHON) tools/bench_linebreaks.py
	$(PYTHON) tools/bench_pdf.py
	$(PYTHON) tools/bench_pages.py

messages: setup
	tools/make_messages.sh

fonts: setup
	$(PYTHON) tools/build_pdf_font.py
