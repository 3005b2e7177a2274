#!/bin/bash
# The entrypoint of local/mariadb.Dockerfile: on the first start (an empty data directory) makes
# the system tables, sets root's password from MYSQL_ROOT_PASSWORD and runs the *.sql files of
# /docker-entrypoint-initdb.d with a server that listens on no port; then runs the server with the
# container's arguments (the demo's binlog settings, but for MySQL's GTID switches), listening on
# every interface.
set -euo pipefail
datadir=/var/lib/mysql
if [[ ! -d $datadir/mysql ]]; then
  : "${MYSQL_ROOT_PASSWORD:?MYSQL_ROOT_PASSWORD is required}"
  mariadb-install-db --user=mysql --datadir="$datadir" --skip-test-db >/dev/null
  mariadbd --user=mysql --datadir="$datadir" --skip-networking --socket=/run/mysqld/init.sock &
  for _ in $(seq 1 60); do
    mariadb-admin --socket=/run/mysqld/init.sock ping >/dev/null 2>&1 && break
    sleep 0.5
  done
  init=(mariadb --socket=/run/mysqld/init.sock -uroot)
  "${init[@]}" -e "ALTER USER 'root'@'localhost' IDENTIFIED BY '$MYSQL_ROOT_PASSWORD';
    CREATE USER 'root'@'%' IDENTIFIED BY '$MYSQL_ROOT_PASSWORD';
    GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
  for file in /docker-entrypoint-initdb.d/*.sql; do
    [[ -e $file ]] || continue
    echo "mariadb-entrypoint: running $file"
    "${init[@]}" -p"$MYSQL_ROOT_PASSWORD" <"$file"
  done
  mariadb-admin --socket=/run/mysqld/init.sock -uroot -p"$MYSQL_ROOT_PASSWORD" shutdown
  wait
fi
# The demo's command is MySQL's: MariaDB has GTIDs always on and no options to turn them on.
options=()
for option; do
  case $option in
    --gtid-mode=* | --enforce-gtid-consistency=*) echo "mariadb-entrypoint: $option is MySQL's; MariaDB's GTIDs are always on" ;;
    *) options+=("$option") ;;
  esac
done
exec mariadbd --user=mysql --datadir="$datadir" --bind-address=0.0.0.0 "${options[@]}"
