// amqp_bench: the RabbitMQ side of bench/e2e_bench.sh (issue 8). Three commands, each on one
// connection made with rabbitmq-c, the library mysql-monitor publishes with:
//
//   amqp_bench ceiling --count N --size BYTES --window W [--batch]
//     The broker ceiling: N persistent messages of BYTES bytes to the exchange (durable, fanout)
//     and its bound durable queue, in confirm mode with at most W unconfirmed (a sliding window, as
//     mysql-monitor keeps it) or, with --batch, W published then all W confirmed before the next
//     W. Purges the queue before and after. Prints "msgs_per_s SECONDS".
//   amqp_bench wait --count N [--timeout S]
//     Declares the exchange and queue, purges the queue, prints "ready", then polls the queue's
//     message count every 5 ms until it reaches N. Prints the epoch seconds at which the first
//     message and the N-th were seen: "FIRST LAST". Purges the queue at the end.
//   amqp_bench latency --count N --field NAME --out FILE [--timeout S] [--skip-type T]...
//     Consumes N messages from the queue (purged first) and writes, one per line, the
//     milliseconds between the UTC DATETIME(6) value of column NAME in each message
//     ("NAME":"YYYY-MM-DDTHH:MM:SS.ffffff") and its arrival. Prints "p50 p99 max" in ms.
//     Messages of a --skip-type are consumed but neither measured nor counted.
//
// Connection: --host --port --user --password (default from MM_AMQP_* as scripts/services.sh sets
// them), --exchange, --queue, --queue-type (classic, quorum). A benchmark tool: errors end the process with a message.
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

namespace {

constexpr amqp_channel_t kChannel = 1;

double epochSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "amqp_bench: %s\n", what.c_str());
  std::exit(1);
}

void check(amqp_connection_state_t connection, const char* what) {
  if (amqp_get_rpc_reply(connection).reply_type != AMQP_RESPONSE_NORMAL) {
    die(std::string(what) + " failed");
  }
}

std::string envOr(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

struct Broker {
  std::string host = envOr("MM_AMQP_HOST", "127.0.0.1");
  int port = std::atoi(envOr("MM_AMQP_PORT", "5672").c_str());
  std::string user = envOr("MM_AMQP_USER", "guest");
  std::string password = envOr("MM_AMQP_PASSWORD", "guest");
  std::string exchange = "mm-bench";
  std::string queue = "mm-bench";
  // classic, or quorum (replicated on a cluster's nodes: what README "High availability" advises)
  std::string queue_type = "classic";
};

amqp_connection_state_t connect(const Broker& broker) {
  amqp_connection_state_t connection = amqp_new_connection();
  amqp_socket_t* socket = amqp_tcp_socket_new(connection);
  if (amqp_socket_open(socket, broker.host.c_str(), broker.port) != AMQP_STATUS_OK) {
    die("cannot connect to " + broker.host + ":" + std::to_string(broker.port));
  }
  if (amqp_login(connection, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, broker.user.c_str(),
                 broker.password.c_str())
          .reply_type != AMQP_RESPONSE_NORMAL) {
    die("login as " + broker.user + " failed");
  }
  amqp_channel_open(connection, kChannel);
  check(connection, "channel.open");
  // The exchange as mysql-monitor declares it (durable fanout), and the durable queue bound to it.
  amqp_exchange_declare(connection, kChannel, amqp_cstring_bytes(broker.exchange.c_str()),
                        amqp_cstring_bytes("fanout"), 0, 1, 0, 0, amqp_empty_table);
  check(connection, "exchange.declare");
  amqp_table_entry_t type;
  type.key = amqp_cstring_bytes("x-queue-type");
  type.value.kind = AMQP_FIELD_KIND_UTF8;
  type.value.value.bytes = amqp_cstring_bytes(broker.queue_type.c_str());
  const amqp_table_t arguments =
      broker.queue_type == "classic" ? amqp_empty_table : amqp_table_t{1, &type};
  amqp_queue_declare(connection, kChannel, amqp_cstring_bytes(broker.queue.c_str()), 0,
                     /*durable=*/1, 0, 0, arguments);
  check(connection, "queue.declare");
  amqp_queue_bind(connection, kChannel, amqp_cstring_bytes(broker.queue.c_str()),
                  amqp_cstring_bytes(broker.exchange.c_str()), amqp_cstring_bytes(""),
                  amqp_empty_table);
  check(connection, "queue.bind");
  return connection;
}

void purge(amqp_connection_state_t connection, const Broker& broker) {
  amqp_queue_purge(connection, kChannel, amqp_cstring_bytes(broker.queue.c_str()));
  check(connection, "queue.purge");
}

void close(amqp_connection_state_t connection) {
  amqp_channel_close(connection, kChannel, AMQP_REPLY_SUCCESS);
  amqp_connection_close(connection, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(connection);
}

// Reads confirms until `confirmed` reaches `target`; confirms may be single or `multiple`.
void awaitConfirms(amqp_connection_state_t connection, uint64_t target, uint64_t& confirmed) {
  while (confirmed < target) {
    amqp_frame_t frame;
    if (amqp_simple_wait_frame(connection, &frame) != AMQP_STATUS_OK) {
      die("connection lost while waiting for confirms");
    }
    if (frame.frame_type != AMQP_FRAME_METHOD) {
      continue;
    }
    if (frame.payload.method.id == AMQP_BASIC_NACK_METHOD) {
      die("the broker nacked a message");
    }
    if (frame.payload.method.id == AMQP_BASIC_ACK_METHOD) {
      const auto* ack = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
      // Acks come in tag order; a single ack of tag t confirms t, a multiple one everything <= t.
      confirmed = std::max(confirmed, ack->delivery_tag);
    }
  }
}

// With `monitor_properties`, every message carries what mysql-monitor's do besides the body: a
// message id of its form ("FILE:POS:ROW", unique) and a timestamp; `headers` adds the database,
// table and type headers of `[amqp] headers = on`. The broker parses and stores them all.
int ceiling(const Broker& broker, uint64_t count, size_t size, uint64_t window, bool batch,
            bool monitor_properties, bool headers) {
  amqp_connection_state_t connection = connect(broker);
  purge(connection, broker);
  amqp_confirm_select(connection, kChannel);
  check(connection, "confirm.select");
  // A JSON-looking body of the requested size, the same for every message.
  std::string body = "{\"type\":\"row_insert\",\"pad\":\"";
  body.resize(std::max(size, body.size() + 2) - 2, 'x');
  body += "\"}";
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG;
  props.content_type = amqp_cstring_bytes("application/json");
  props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
  std::string message_id;
  amqp_table_entry_t header_entries[3];
  const std::pair<const char*, const char*> header_values[3] = {
      {"database", "mm_bench"}, {"table", "t"}, {"type", "row_insert"}};
  if (monitor_properties) {
    props._flags |= AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_TIMESTAMP_FLAG;
  }
  if (headers) {
    props._flags |= AMQP_BASIC_HEADERS_FLAG;
    for (int i = 0; i < 3; ++i) {
      header_entries[i].key = amqp_cstring_bytes(header_values[i].first);
      header_entries[i].value.kind = AMQP_FIELD_KIND_UTF8;
      header_entries[i].value.value.bytes = amqp_cstring_bytes(header_values[i].second);
    }
    props.headers = amqp_table_t{3, header_entries};
  }
  const amqp_bytes_t body_bytes{body.size(), body.data()};
  uint64_t published = 0;
  uint64_t confirmed = 0;
  const double start = epochSeconds();
  while (published < count) {
    const uint64_t limit = batch ? published + window : confirmed + window;
    while (published < count && published < limit) {
      if (monitor_properties) {
        message_id = "mysql-bin.000001:" + std::to_string(1000 + published * 600) + ":0";
        props.message_id = amqp_bytes_t{message_id.size(), message_id.data()};
        props.timestamp = static_cast<uint64_t>(epochSeconds());
      }
      if (amqp_basic_publish(connection, kChannel, amqp_cstring_bytes(broker.exchange.c_str()),
                             amqp_cstring_bytes(""), 0, 0, &props, body_bytes) != AMQP_STATUS_OK) {
        die("publish failed");
      }
      ++published;
    }
    // Sliding window: wait for at least one confirm; batch: for the whole batch.
    awaitConfirms(connection, batch ? published : std::min(published, confirmed + 1), confirmed);
  }
  awaitConfirms(connection, count, confirmed);
  const double seconds = epochSeconds() - start;
  purge(connection, broker);
  close(connection);
  std::printf("%.0f %.3f\n", static_cast<double>(count) / seconds, seconds);
  return 0;
}

int wait(const Broker& broker, uint64_t count, double timeout) {
  amqp_connection_state_t connection = connect(broker);
  purge(connection, broker);
  std::printf("ready\n");
  std::fflush(stdout);
  const double deadline = epochSeconds() + timeout;
  double first = 0;
  for (;;) {
    amqp_queue_declare_ok_t* ok =
        amqp_queue_declare(connection, kChannel, amqp_cstring_bytes(broker.queue.c_str()),
                           /*passive=*/1, 1, 0, 0, amqp_empty_table);
    check(connection, "queue.declare (passive)");
    const double now = epochSeconds();
    if (ok->message_count > 0 && first == 0) {
      first = now;
    }
    if (ok->message_count >= count) {
      purge(connection, broker);
      close(connection);
      std::printf("%.6f %.6f\n", first, now);
      return 0;
    }
    if (now > deadline) {
      die("timeout: " + std::to_string(ok->message_count) + " of " + std::to_string(count) +
          " messages arrived");
    }
    amqp_maybe_release_buffers(connection);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Seconds since the epoch of "YYYY-MM-DDTHH:MM:SS.ffffff" read as UTC; negative when malformed.
double parseUtc(std::string_view text) {
  std::tm tm{};
  int micros = 0;
  if (std::sscanf(std::string(text).c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%6d", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &micros) != 7) {
    return -1;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(timegm(&tm)) + micros / 1e6;
}

int latency(const Broker& broker, uint64_t count, const std::string& field,
            const std::string& out_path, double timeout, const std::vector<std::string>& skip) {
  amqp_connection_state_t connection = connect(broker);
  purge(connection, broker);
  amqp_basic_consume(connection, kChannel, amqp_cstring_bytes(broker.queue.c_str()),
                     amqp_empty_bytes, 0,
                     /*no_ack=*/1, 0, amqp_empty_table);
  check(connection, "basic.consume");
  std::printf("ready\n");
  std::fflush(stdout);
  const std::string needle = "\"" + field + "\":\"";
  std::vector<double> millis;
  const double deadline = epochSeconds() + timeout;
  while (millis.size() < count) {
    amqp_maybe_release_buffers(connection);
    amqp_envelope_t envelope;
    timeval wait{1, 0};
    const amqp_rpc_reply_t reply = amqp_consume_message(connection, &envelope, &wait, 0);
    if (epochSeconds() > deadline) {
      die("timeout: " + std::to_string(millis.size()) + " of " + std::to_string(count) +
          " messages arrived");
    }
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
      continue;
    }
    const double arrived = epochSeconds();
    const std::string_view body(static_cast<const char*>(envelope.message.body.bytes),
                                envelope.message.body.len);
    // The last occurrence: an update's after_values follow its before_values.
    const size_t at = body.rfind(needle);
    const bool skipped = std::any_of(skip.begin(), skip.end(), [&](const std::string& type) {
      return body.find("\"type\":\"" + type + "\"") != std::string_view::npos;
    });
    if (at != std::string_view::npos && !skipped) {
      const double written = parseUtc(body.substr(at + needle.size(), 26));
      if (written > 0) {
        millis.push_back((arrived - written) * 1000);
      }
    }
    amqp_destroy_envelope(&envelope);
  }
  close(connection);
  std::FILE* out = std::fopen(out_path.c_str(), "w");
  if (out == nullptr) {
    die("cannot write " + out_path);
  }
  for (double ms : millis) {
    std::fprintf(out, "%.3f\n", ms);
  }
  std::fclose(out);
  std::sort(millis.begin(), millis.end());
  auto at = [&](double q) {
    return millis[std::min(millis.size() - 1, static_cast<size_t>(q * millis.size()))];
  };
  std::printf("%.2f %.2f %.2f\n", at(0.50), at(0.99), millis.back());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Broker broker;
  uint64_t count = 0;
  size_t size = 0;
  uint64_t window = 1000;
  bool batch = false;
  double timeout = 600;
  std::string field;
  std::string out_path;
  CLI::App cli{
      "RabbitMQ side of bench/e2e_bench.sh: broker ceiling, queue arrival times, latency."};
  cli.require_subcommand(1);
  cli.add_option("--host", broker.host);
  cli.add_option("--port", broker.port);
  cli.add_option("--user", broker.user);
  cli.add_option("--password", broker.password);
  cli.add_option("--exchange", broker.exchange);
  cli.add_option("--queue", broker.queue);
  cli.add_option("--queue-type", broker.queue_type, "classic or quorum")
      ->check(CLI::IsMember({"classic", "quorum"}));
  auto* ceiling_cmd =
      cli.add_subcommand("ceiling", "publish persistent messages with confirms, print msgs/s");
  ceiling_cmd->add_option("--count", count)->required();
  ceiling_cmd->add_option("--size", size)->required();
  ceiling_cmd->add_option("--window", window);
  ceiling_cmd->add_flag("--batch", batch, "publish a window, then wait for all of its confirms");
  bool monitor_properties = false;
  ceiling_cmd->add_flag("--monitor-properties", monitor_properties,
                        "give each message mysql-monitor's properties (message id, timestamp)");
  bool headers = false;
  ceiling_cmd->add_flag("--headers", headers,
                        "and the headers of [amqp] headers = on (database/table/type)");
  auto* wait_cmd = cli.add_subcommand("wait", "wait until the queue holds --count messages");
  wait_cmd->add_option("--count", count)->required();
  wait_cmd->add_option("--timeout", timeout);
  auto* latency_cmd =
      cli.add_subcommand("latency", "consume and measure the age of a DATETIME(6) column");
  latency_cmd->add_option("--count", count)->required();
  latency_cmd->add_option("--field", field)->required();
  latency_cmd->add_option("--out", out_path)->required();
  latency_cmd->add_option("--timeout", timeout);
  std::vector<std::string> skip;
  latency_cmd->add_option("--skip-type", skip,
                          "messages of this type are not measured (repeatable; e.g. "
                          "row_snapshot while a snapshot runs)");
  CLI11_PARSE(cli, argc, argv);
  if (window == 0) {
    die("--window must be at least 1");
  }
  if (ceiling_cmd->parsed()) {
    return ceiling(broker, count, size, window, batch, monitor_properties, headers);
  }
  if (wait_cmd->parsed()) {
    return wait(broker, count, timeout);
  }
  return latency(broker, count, field, out_path, timeout, skip);
}
