#!/usr/bin/env bash
# The operators' kit in deploy/: the Prometheus alert rules pass `promtool check rules` and
# their unit tests (`promtool test rules`), and the Grafana dashboard is valid JSON.
set -euo pipefail
cd "$(dirname "$0")/../deploy"
promtool check rules prometheus/tonehost-alerts.yml
(cd prometheus && promtool test rules tonehost-alerts.test.yml)
python3 -c 'import json, sys; d = json.load(open("grafana/tonehost-dashboard.json")); assert d["panels"], "no panels"; print("grafana/tonehost-dashboard.json:", len(d["panels"]), "panels")'
