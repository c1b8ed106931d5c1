#!/usr/bin/env bash
# Refresh the Thai catalogue from the code and templates, then compile it.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_DEBUG=1
.venv/bin/python manage.py makemessages -l th --no-location --no-wrap -e html,txt,svg,py --ignore=.venv --ignore=tests
.venv/bin/python manage.py compilemessages --ignore=.venv
