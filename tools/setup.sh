#!/usr/bin/env bash
# Set up a machine for the portal: Debian packages (when run as root and
# missing), the .venv and the pinned requirements. Safe to run again: it only
# does what is missing. With --tests it also installs what the tests need
# (poppler-utils for PDF text checks, Chromium for browser tests).
# PyICU has no wheels on PyPI: pip builds it against Debian's ICU, hence
# libicu-dev, pkg-config, a C++ compiler and the Python headers.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig gettext
  libicu-dev pkg-config g++ python3-dev python3-venv)
if [[ "${1:-}" == "--tests" ]]; then
  packages+=(poppler-utils chromium)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "Installing Debian packages: ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "Missing Debian packages (install them as root): ${missing[*]}" >&2
  fi
fi

# Debian's own Python 3.11 where there is one (what a Debian server runs the portal
# on) before one earlier on the PATH: a pyenv build links the interpreter to a shared
# libpython and runs a sheet's PDF with about 9% more instructions (callgrind: 1,052
# million against 960 a render), its start-up with 14% more.
python=${PYTHON:-}
if [[ -z "$python" ]]; then
  if [[ -x /usr/bin/python3.11 ]]; then
    python=/usr/bin/python3.11
  else
    python=$(command -v python3.11 || command -v python3)
  fi
fi
if [[ ! -x .venv/bin/python ]]; then
  "$python" -m venv .venv
elif ! .venv/bin/python -c 'import sys; sys.exit(sys._base_executable != sys.argv[1])' "$(readlink -f "$python")" 2>/dev/null; then
  echo "Note: .venv runs $(.venv/bin/python -c 'import sys; print(sys._base_executable)'), not $python;" \
    "remove .venv and run this again to rebuild it on $python." >&2
fi
stamp=.venv/.requirements-installed
if [[ ! -f "$stamp" ]] || ! cmp -s requirements.txt "$stamp"; then
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  cp requirements.txt "$stamp"
fi
