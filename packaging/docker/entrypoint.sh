#!/bin/bash
# The image's `mysql-monitor` command (packaging/docker/Dockerfile): its ENTRYPOINT, and first on
# PATH, so `docker exec CONTAINER mysql-monitor status` goes the same way. It runs the daemon,
# /usr/bin/mysql-monitor, with every argument, and:
#   - Never as root. Started as root (the image's default user), it continues as the owner of the
#     state directory, so a volume or a bind-mounted host directory is written as its owner; a
#     state directory root owns is given to the image's user mysql-monitor (uid 10001), as the
#     official database images do. Started as another user (Kubernetes' runAsUser), it stays so.
#   - The Python monitor's compose layout (issue 20; docs/migrating-from-the-python-monitor.md
#     "Docker"): its directory mounted at /usr/src/app with config.cfg and data/. When that file
#     is there and no --config is given, it is the configuration, read from /usr/src/app as the
#     Python monitor read it (so state_path, by default data/, is where it was, with the
#     data/state.json to continue from), and the messages are the Python monitor's unless the
#     file sets [message] format. The image's own state directory then gives way to the file's.
set -euo pipefail
readonly daemon=/usr/bin/mysql-monitor origin_app=/usr/src/app
readonly image_state=/var/lib/mysql-monitor image_user=10001

# Whether the arguments name a configuration file.
names_config() {
  local arg
  for arg; do
    case $arg in -c | --config | --config=* | -c?*) return 0 ;; esac
  done
  return 1
}

# The value of `key` in an INI file (first occurrence, ConfigParser's `=` or `:`, an inline
# "; comment" after whitespace cut off), or nothing.
ini_value() {
  sed -n "s/^[[:space:]]*$2[[:space:]]*[:=][[:space:]]*//Ip" "$1" | head -1 |
    sed 's/[[:space:]][;#].*$//; s/[[:space:]]*$//'
}

args=("$@")
state_dir=${MYSQL_MONITOR_MONITOR_STATE_PATH:-$image_state}
if [[ -f $origin_app/config.cfg ]] && ! names_config "$@"; then
  cd "$origin_app"
  args=(--config "$origin_app/config.cfg" "$@")
  if [[ ${MYSQL_MONITOR_MONITOR_STATE_PATH:-} == "$image_state" ]]; then
    unset MYSQL_MONITOR_MONITOR_STATE_PATH
  fi
  if [[ -z $(ini_value config.cfg format) ]]; then
    export MYSQL_MONITOR_MESSAGE_FORMAT=${MYSQL_MONITOR_MESSAGE_FORMAT:-origin}
  fi
  state_dir=${MYSQL_MONITOR_MONITOR_STATE_PATH:-$(ini_value config.cfg state_path)}
  state_dir=${state_dir:-data}
  [[ $state_dir == *.json ]] && state_dir=$(dirname "$state_dir")
fi

if ((EUID != 0)); then
  exec "$daemon" "${args[@]}"
fi
mkdir -p "$state_dir"
owner=$(stat -c %u "$state_dir")
group=$(stat -c %g "$state_dir")
if ((owner == 0)); then
  chown "$image_user:$image_user" "$state_dir"
  owner=$image_user group=$image_user
fi
exec setpriv --reuid="$owner" --regid="$group" --clear-groups -- "$daemon" "${args[@]}"
