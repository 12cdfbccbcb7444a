#!/usr/bin/env bash
# Creates .venv-ci/ (git-ignored) with the Python packages the client checks use, from PyPI,
# and prints its python. Reused when it already has them.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-ci
packages=(openai requests openapi-spec-validator schemathesis selenium)
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
fi
if ! "$venv/bin/python" -c 'import openai, requests, openapi_spec_validator, schemathesis, selenium' 2>/dev/null; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${packages[@]}" >&2
fi
echo "$venv/bin/python"
