// amqp_tail: prints the messages published to an exchange, one JSON body per line. A subscriber for
// the demo and for operators who want to watch the stream:
//   amqp_tail --host 127.0.0.1 --port 5672 --exchange mysql-monitor [--count N] [--timeout S]
// Binds a private, auto-deleted queue, so it never takes messages from other consumers.
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>

#include <chrono>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

namespace {

bool ok(amqp_connection_state_t connection, const char* what) {
  if (amqp_get_rpc_reply(connection).reply_type == AMQP_RESPONSE_NORMAL) {
    return true;
  }
  std::fprintf(stderr, "amqp_tail: %s failed\n", what);
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", user = "guest", password = "guest", vhost = "/";
  std::string exchange = "mysql-monitor", exchange_type = "fanout", binding_key = "#";
  int port = 5672, count = 0, timeout_seconds = 0;
  CLI::App cli{"Print the JSON messages published to a RabbitMQ exchange, one per line."};
  cli.add_option("--host", host);
  cli.add_option("--port", port);
  cli.add_option("--user", user);
  cli.add_option("--password", password);
  cli.add_option("--vhost", vhost);
  cli.add_option("--exchange", exchange);
  cli.add_option("--exchange-type", exchange_type);
  cli.add_option("--binding-key", binding_key);
  cli.add_option("--count", count, "Exit after this many messages (0 = never)");
  cli.add_option("--timeout", timeout_seconds, "Exit after this many seconds (0 = never)");
  CLI11_PARSE(cli, argc, argv);

  amqp_connection_state_t connection = amqp_new_connection();
  amqp_socket_t* socket = amqp_tcp_socket_new(connection);
  if (amqp_socket_open(socket, host.c_str(), port) != AMQP_STATUS_OK) {
    std::fprintf(stderr, "amqp_tail: cannot connect to %s:%d\n", host.c_str(), port);
    return 1;
  }
  if (amqp_login(connection, vhost.c_str(), 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, user.c_str(),
                 password.c_str()).reply_type != AMQP_RESPONSE_NORMAL) {
    std::fprintf(stderr, "amqp_tail: login as %s failed\n", user.c_str());
    return 1;
  }
  amqp_channel_open(connection, 1);
  if (!ok(connection, "channel.open")) return 1;
  amqp_exchange_declare(connection, 1, amqp_cstring_bytes(exchange.c_str()),
                        amqp_cstring_bytes(exchange_type.c_str()), 0, 1, 0, 0, amqp_empty_table);
  if (!ok(connection, "exchange.declare")) return 1;
  amqp_queue_declare_ok_t* queue =
      amqp_queue_declare(connection, 1, amqp_empty_bytes, 0, 0, 1, 1, amqp_empty_table);
  if (!ok(connection, "queue.declare")) return 1;
  amqp_queue_bind(connection, 1, queue->queue, amqp_cstring_bytes(exchange.c_str()),
                  amqp_cstring_bytes(binding_key.c_str()), amqp_empty_table);
  if (!ok(connection, "queue.bind")) return 1;
  amqp_basic_consume(connection, 1, queue->queue, amqp_empty_bytes, 0, 1, 0, amqp_empty_table);
  if (!ok(connection, "basic.consume")) return 1;
  std::fprintf(stderr, "amqp_tail: listening on exchange '%s' at %s:%d\n", exchange.c_str(), host.c_str(), port);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  int received = 0;
  while (count == 0 || received < count) {
    if (timeout_seconds > 0 && std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    timeval tick{0, 200000};
    amqp_envelope_t envelope;
    amqp_maybe_release_buffers(connection);
    const amqp_rpc_reply_t reply = amqp_consume_message(connection, &envelope, &tick, 0);
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && reply.library_error == AMQP_STATUS_TIMEOUT) {
      continue;
    }
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
      std::fprintf(stderr, "amqp_tail: connection lost\n");
      return 1;
    }
    std::fwrite(envelope.message.body.bytes, 1, envelope.message.body.len, stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    amqp_destroy_envelope(&envelope);
    ++received;
  }
  amqp_connection_close(connection, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(connection);
  return count > 0 && received < count ? 1 : 0;
}
