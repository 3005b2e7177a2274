#!/usr/bin/env bash
# packaging/kubernetes/mysql-monitor.yaml, checked without a cluster: it parses; one replica
# replaced with Recreate (the state_path lock allows one monitor per state); the grace period is
# above [monitor] stop_timeout + delay; the probes ask the health paths the monitor serves
# (src/metrics/exporter.cpp) on the port it listens on; the state volume is mounted at
# state_path; passwords come from a Secret; and the environment (with stand-in secrets) is
# accepted by `mysql-monitor --check-config`, each variable naming a key of config-example.cfg.
# Then packaging/kubernetes/mysql-monitor-pair.yaml, the active/standby pair, likewise.
# Exits 77 (skipped) without Debian's python3-yaml.
#   tests/packaging/kubernetes_test.sh SOURCE_DIR MYSQL_MONITOR_BINARY
set -euo pipefail
source_dir=${1:?usage: kubernetes_test.sh SOURCE_DIR BINARY}
binary=${2:?usage: kubernetes_test.sh SOURCE_DIR BINARY}
manifest="$source_dir/packaging/kubernetes/mysql-monitor.yaml"
fail() { echo "kubernetes_test: FAIL: $*" >&2; exit 1; }
/usr/bin/python3 -c 'import yaml' 2>/dev/null || { echo "kubernetes_test: SKIPPED: python3-yaml missing"; exit 77; }
served=$(grep -oE 'request.path == "/[a-z]+"' "$source_dir/src/metrics/exporter.cpp" | grep -oE '/[a-z]+' | sort -u)
# A manifest's facts, one "name value" per line (python prints; bash judges): `facts_of FILE KIND`
# with python reading the rest from stdin, where `kinds` maps each kind to its document and
# `spec` and `pod` are the KIND's spec and pod spec.
facts_of() {
  /usr/bin/python3 -c 'import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kinds = {d["kind"]: d for d in docs}
print("kinds", ",".join(sorted(kinds)))
spec = kinds[sys.argv[2]]["spec"]
pod = spec["template"]["spec"]
exec(sys.stdin.read())' "$@"
}
facts=$(facts_of "$manifest" Deployment <<'PY'
print("replicas", spec.get("replicas"))
print("strategy", spec.get("strategy", {}).get("type"))
print("grace", pod.get("terminationGracePeriodSeconds", 30))
print("nonroot", pod.get("securityContext", {}).get("runAsNonRoot"))
print("runasuser", pod.get("securityContext", {}).get("runAsUser"))
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
[[ $(value runasuser) =~ ^[1-9][0-9]*$ ]] || fail "no runAsUser: the image starts as root and drops it itself"
known=$(awk '/^\[/{section = toupper(substr($0, 2, length($0) - 2))} /^[a-z_]+ *=/{print "MYSQL_MONITOR_" section "_" toupper($1)}' \
  "$source_dir/config-example.cfg")
# The "env NAME=VALUE" facts, with stand-in secrets and `extra` arguments, accepted by
# --check-config, each naming a key of config-example.cfg. Prints how many settings.
check_environment() {
  local facts=$1
  shift
  mapfile -t environment < <(sed -n 's/^env //p' <<<"$facts")
  environment+=(MYSQL_MONITOR_MYSQL_PASSWORD=stand-in MYSQL_MONITOR_AMQP_PASSWORD=stand-in)
  for setting in "${environment[@]}"; do
    grep -qx "${setting%%=*}" <<<"$known" || fail "${setting%%=*} names no key of config-example.cfg"
  done
  result=$(env -i "${environment[@]}" "$binary" --check-config "$@" 2>&1) || fail "the environment is refused: $result"
  echo "${#environment[@]}"
}
settings=$(check_environment "$facts")

# The active/standby pair (docs/high-availability.md): a StatefulSet of 2 started in parallel with
# its governing Service, the state on a server (no volume), one [monitor] name, both probes on
# /healthz (/readyz is 503 on the standby), and a server_id per pod from its ordinal.
pair_manifest="$source_dir/packaging/kubernetes/mysql-monitor-pair.yaml"
pair=$(facts_of "$pair_manifest" StatefulSet <<'PY'
print("replicas", spec.get("replicas"))
print("policy", spec.get("podManagementPolicy"))
print("service", spec.get("serviceName") == kinds["Service"]["metadata"]["name"] and kinds["Service"]["spec"].get("clusterIP") == "None")
print("claims", len(spec.get("volumeClaimTemplates", [])) + len(pod.get("volumes", [])))
print("grace", pod.get("terminationGracePeriodSeconds", 30))
print("runasuser", pod.get("securityContext", {}).get("runAsUser"))
(c,) = pod["containers"]
for e in c.get("env", []):
    print("env", f"{e['name']}={e.get('value')}")
print("secret", ",".join(s["secretRef"]["name"] for s in c.get("envFrom", []) if "secretRef" in s))
for probe in ("livenessProbe", "readinessProbe"):
    print("probe", probe, c[probe]["httpGet"]["path"])
print("command", c["command"][2] if c.get("command", [None])[:2] == ["sh", "-c"] else "")
PY
) || fail "the pair manifest does not parse as the expected StatefulSet and Service"
pair_value() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' <<<"$pair"; }
[[ $(pair_value kinds) == Service,StatefulSet ]] || fail "the pair needs a StatefulSet and its Service"
[[ $(pair_value replicas) == 2 && $(pair_value policy) == Parallel ]] || fail "the pair is 2 replicas started in parallel"
[[ $(pair_value service) == True ]] || fail "the StatefulSet's serviceName is not its headless Service"
[[ $(pair_value claims) == 0 ]] || fail "the pair keeps its state on a server: no volume"
[[ $(pair_value runasuser) =~ ^[1-9][0-9]*$ ]] || fail "the pair sets no runAsUser"
grep -qx 'env MYSQL_MONITOR_MONITOR_STATE_STORE=mysql' <<<"$pair" || fail "the pair's state_store is not mysql"
grep -q '^env MYSQL_MONITOR_MONITOR_NAME=[a-z]' <<<"$pair" || fail "the pair names no [monitor] name"
[[ -n $(pair_value secret) ]] || fail "no Secret in the pair's envFrom"
(($(pair_value grace) > 10)) || fail "the pair's grace period is not above stop_timeout (10 s)"
[[ $(grep -c '^probe .* /healthz$' <<<"$pair") == 2 ]] || fail "the pair's probes must ask /healthz (/readyz is 503 on the standby)"
# The command as the pod's shell runs it, with the image's `mysql-monitor` stood in for: pod 1 of
# the StatefulSet gets server_id 4243.
stub=$(mktemp -d)
trap 'rm -rf "$stub"' EXIT
printf '#!/bin/sh\necho "$@"\n' >"$stub/mysql-monitor"
chmod +x "$stub/mysql-monitor"
ran=$(HOSTNAME=mysql-monitor-1 PATH="$stub:$PATH" sh -c "$(pair_value command)")
[[ $ran == "run --set mysql.server_id=4243" ]] || fail "pod mysql-monitor-1 runs '$ran', not server_id 4243"
pair_settings=$(check_environment "$pair" --set mysql.server_id=4243)
echo "kubernetes_test: ok ($settings settings accepted; the pair: $pair_settings; not applied to a cluster)"
