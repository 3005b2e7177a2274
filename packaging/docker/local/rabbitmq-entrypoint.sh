#!/bin/bash
# The entrypoint of local/rabbitmq.Dockerfile: the default account from RABBITMQ_DEFAULT_USER and
# RABBITMQ_DEFAULT_PASS (guest may log in only from localhost), then the server in the foreground.
set -euo pipefail
{
  echo "default_user = ${RABBITMQ_DEFAULT_USER:-guest}"
  echo "default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}"
} >/etc/rabbitmq/rabbitmq.conf
exec rabbitmq-server
