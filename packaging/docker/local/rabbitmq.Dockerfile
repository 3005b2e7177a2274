# The demo's broker built here from Debian's RabbitMQ, for docker-compose.local.yaml (no registry
# needed), with the management UI. It keeps the official image's RABBITMQ_DEFAULT_USER and
# RABBITMQ_DEFAULT_PASS (rabbitmq-entrypoint.sh writes them into rabbitmq.conf).
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends rabbitmq-server \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && rabbitmq-plugins enable --offline rabbitmq_management >/dev/null
COPY packaging/docker/local/rabbitmq-entrypoint.sh /usr/local/bin/rabbitmq-entrypoint
EXPOSE 5672 15672
ENTRYPOINT ["/usr/local/bin/rabbitmq-entrypoint"]
