#!/usr/bin/env bash
# The alert rules of packaging/prometheus and the Grafana dashboard of packaging/grafana: promtool
# checks alerts.yml and runs its unit tests (alerts_test.yml), the dashboard is JSON, and every
# mysql_monitor_* metric either reads is one the monitor exports (src/metrics/exposition.cpp), so
# a renamed metric cannot leave a rule silently never firing or a panel empty.
# Exits 77 (skipped) without promtool (Debian: prometheus; scripts/install-deps.sh installs it).
#   tests/packaging/alert_rules_test.sh SOURCE_DIR
set -euo pipefail
source_dir=${1:?usage: alert_rules_test.sh SOURCE_DIR}
rules="$source_dir/packaging/prometheus"
if ! command -v promtool >/dev/null; then
  echo "alert_rules_test: SKIPPED: promtool is not installed (Debian package prometheus)"
  exit 77
fi
promtool check rules "$rules/alerts.yml"
promtool test rules "$rules/alerts_test.yml"
dashboard="$source_dir/packaging/grafana/mysql-monitor-dashboard.json"
/usr/bin/python3 -m json.tool "$dashboard" >/dev/null
missing=0
for file in "$rules/alerts.yml" "$dashboard"; do
  for metric in $(grep -oE 'mysql_monitor_[a-z_]+' "$file" | sort -u); do
    if ! grep -qF "\"${metric#mysql_monitor_}\"" "$source_dir/src/metrics/exposition.cpp"; then
      echo "alert_rules_test: FAIL: $metric (in $file) is not exported by src/metrics" >&2
      missing=1
    fi
  done
done
exit "$missing"
