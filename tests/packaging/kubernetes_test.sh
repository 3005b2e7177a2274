#!/usr/bin/env bash
# packaging/kubernetes/mysql-monitor.yaml, checked without a cluster: it parses; one replica
# replaced with Recreate (the state_path lock allows one monitor per state); the grace period is
# above [monitor] stop_timeout + delay; the probes ask the health paths the monitor serves
# (src/metrics/exporter.cpp) on the port it listens on; the state volume is mounted at
# state_path; passwords come from a Secret; and the environment (with stand-in secrets) is
# accepted by `mysql-monitor --check-config`, each variable naming a key of config-example.cfg.
# Exits 77 (skipped) without Debian's python3-yaml.
#   tests/packaging/kubernetes_test.sh SOURCE_DIR MYSQL_MONITOR_BINARY
set -euo pipefail
source_dir=${1:?usage: kubernetes_test.sh SOURCE_DIR BINARY}
binary=${2:?usage: kubernetes_test.sh SOURCE_DIR BINARY}
manifest="$source_dir/packaging/kubernetes/mysql-monitor.yaml"
fail() { echo "kubernetes_test: FAIL: $*" >&2; exit 1; }
/usr/bin/python3 -c 'import yaml' 2>/dev/null || { echo "kubernetes_test: SKIPPED: python3-yaml missing"; exit 77; }
served=$(grep -oE 'request.path == "/[a-z]+"' "$source_dir/src/metrics/exporter.cpp" | grep -oE '/[a-z]+' | sort -u)
# The manifest's facts, one "name value" per line (python prints; bash judges).
facts=$(/usr/bin/python3 - "$manifest" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kinds = {d["kind"]: d for d in docs}
print("kinds", ",".join(sorted(kinds)))
dep = kinds["Deployment"]
spec, pod = dep["spec"], dep["spec"]["template"]["spec"]
print("replicas", spec.get("replicas"))
print("strategy", spec.get("strategy", {}).get("type"))
print("grace", pod.get("terminationGracePeriodSeconds", 30))
print("nonroot", pod.get("securityContext", {}).get("runAsNonRoot"))
(c,) = pod["containers"]
env = {e["name"]: e.get("value") for e in c.get("env", [])}
for name, value in env.items():
    print("env", f"{name}={value}")
print("secret", ",".join(s["secretRef"]["name"] for s in c.get("envFrom", []) if "secretRef" in s))
ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
for probe in ("livenessProbe", "readinessProbe"):
    get = c[probe]["httpGet"]
    port = ports.get(get["port"], get["port"])
    print("probe", probe, get["path"], port)
mounts = {v["name"]: v["mountPath"] for v in c.get("volumeMounts", [])}
claims = {v["name"]: v.get("persistentVolumeClaim", {}).get("claimName") for v in pod.get("volumes", [])}
for name, path in mounts.items():
    print("mount", path, claims.get(name))
PY
) || fail "the manifest does not parse as the expected Deployment"
value() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' <<<"$facts"; }
env_value() { sed -n "s/^env $1=//p" <<<"$facts"; }
[[ $(value kinds) == *Deployment* && $(value kinds) == *PersistentVolumeClaim* ]] || fail "needs a Deployment and a PersistentVolumeClaim"
[[ $(value replicas) == 1 ]] || fail "replicas must be 1 (one monitor per state)"
[[ $(value strategy) == Recreate ]] || fail "strategy must be Recreate: a rolling update would run two at once"
[[ $(value nonroot) == True ]] || fail "runAsNonRoot is not set"
stop=$(env_value MYSQL_MONITOR_MONITOR_STOP_TIMEOUT); delay=$(env_value MYSQL_MONITOR_MONITOR_DELAY)
(($(value grace) > ${stop:-10} + ${delay:-0})) ||
  fail "terminationGracePeriodSeconds $(value grace) is not above stop_timeout ${stop:-10} + delay ${delay:-0}"
listen_port=$(env_value MYSQL_MONITOR_METRICS_LISTEN); listen_port=${listen_port##*:}
while read -r _ probe path port; do
  grep -qx "$path" <<<"$served" || fail "$probe asks $path, which the monitor does not serve ($(tr '\n' ' ' <<<"$served"))"
  [[ $port == "$listen_port" ]] || fail "$probe asks port $port, the monitor listens on ${listen_port:-?}"
done < <(grep '^probe ' <<<"$facts")
state=$(env_value MYSQL_MONITOR_MONITOR_STATE_PATH)
grep -q "^mount $state [a-z]" <<<"$facts" || fail "no volume claim mounted at the state path ${state:-?}"
[[ -n $(value secret) ]] || fail "no Secret in envFrom for the passwords"
mapfile -t environment < <(sed -n 's/^env //p' <<<"$facts")
environment+=(MYSQL_MONITOR_MYSQL_PASSWORD=stand-in MYSQL_MONITOR_AMQP_PASSWORD=stand-in)
known=$(awk '/^\[/{section = toupper(substr($0, 2, length($0) - 2))} /^[a-z_]+ *=/{print "MYSQL_MONITOR_" section "_" toupper($1)}' \
  "$source_dir/config-example.cfg")
for setting in "${environment[@]}"; do
  grep -qx "${setting%%=*}" <<<"$known" || fail "${setting%%=*} names no key of config-example.cfg"
done
result=$(env -i "${environment[@]}" "$binary" --check-config 2>&1) || fail "the environment is refused: $result"
echo "kubernetes_test: ok (${#environment[@]} settings accepted; not applied to a cluster)"
