# The demo's database built here from Debian's MariaDB, for docker-compose.local.yaml (no registry
# needed). It keeps the contract of the official images the demo names: MYSQL_ROOT_PASSWORD, and
# the *.sql files in /docker-entrypoint-initdb.d run once, on the first start (mariadb-entrypoint.sh).
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends mariadb-server mariadb-client \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/lib/mysql/* \
 && install -d -o mysql -g mysql /run/mysqld /docker-entrypoint-initdb.d
COPY packaging/docker/local/mariadb-entrypoint.sh /usr/local/bin/mariadb-entrypoint
VOLUME /var/lib/mysql
EXPOSE 3306
ENTRYPOINT ["/usr/local/bin/mariadb-entrypoint"]
