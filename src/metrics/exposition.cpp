#include "metrics/exposition.h"

#include <cmath>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "binlog/position.h"

namespace mm::metrics {
namespace {

// Help text escapes backslash and newline; label values also the double quote.
std::string escape(std::string_view text, bool quote) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

std::string formatValue(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  return fmt::format("{}", value);
}

}  // namespace

void ExpositionWriter::family(std::string_view name, std::string_view help, std::string_view type) {
  fmt::format_to(std::back_inserter(text_), "# HELP {}{} {}\n# TYPE {}{} {}\n", kMetricPrefix, name,
                 escape(help, false), kMetricPrefix, name, type);
}

void ExpositionWriter::sample(std::string_view name, Labels labels, std::string_view value) {
  text_ += kMetricPrefix;
  text_ += name;
  if (labels.size() > 0) {
    text_ += '{';
    bool first = true;
    for (const auto& [label, label_value] : labels) {
      fmt::format_to(std::back_inserter(text_), "{}{}=\"{}\"", first ? "" : ",", label,
                     escape(label_value, true));
      first = false;
    }
    text_ += '}';
  }
  text_ += ' ';
  text_ += value;
  text_ += '\n';
}

void ExpositionWriter::counter(std::string_view name, std::string_view help, uint64_t value) {
  family(name, help, "counter");
  sample(name, {}, fmt::format("{}", value));
}

void ExpositionWriter::gauge(std::string_view name, std::string_view help, double value,
                             Labels labels) {
  family(name, help, "gauge");
  sample(name, labels, formatValue(value));
}

void ExpositionWriter::gauges(std::string_view name, std::string_view help, std::string_view label,
                              std::span<const std::pair<std::string_view, double>> samples) {
  family(name, help, "gauge");
  for (const auto& [label_value, value] : samples) {
    sample(name, {{label, label_value}}, formatValue(value));
  }
}

double retentionRunway(int64_t expire_seconds, int64_t file_created_unix, int64_t now_unix) {
  if (expire_seconds <= 0) {
    return std::numeric_limits<double>::infinity();
  }
  return static_cast<double>(expire_seconds - (now_unix - file_created_unix));
}

namespace {

// Every counter, once: name (without the prefix), help, field.
struct CounterSpec {
  std::string_view name;
  std::string_view help;
  Counter Stats::*field;
};

constexpr CounterSpec kCounters[] = {
    {"bytes_read_total", "Bytes of binlog events received from the source.", &Stats::bytes_read},
    {"rows_read_total", "Rows of published tables read from rows events (an update is one row).",
     &Stats::rows_read},
    {"rows_events_filtered_total",
     "Rows events skipped because the table filter ([mysql] database, tables, exclude_tables) "
     "rejects their table.",
     &Stats::rows_events_filtered},
    {"statement_dml_total",
     "Statement-format writes to watched tables (binlog_format != ROW for that session): not "
     "published.",
     &Stats::statement_dml},
    {"source_reconnects_total", "Reconnect attempts after the replica connection failed.",
     &Stats::source_reconnects},
    {"position_gaps_total",
     "Times the saved position was gone from the server and the reader resumed at its current "
     "position.",
     &Stats::position_gaps},
    {"messages_coalesced_total",
     "Changes folded by the delay buffer into an earlier message of the same row ([monitor] "
     "delay).",
     &Stats::messages_coalesced},
    {"snapshot_rows_total", "Rows the snapshot handed on for publishing (row_snapshot messages).",
     &Stats::snapshot_rows},
    {"snapshot_chunks_total", "Chunks the snapshot read (one SELECT each).",
     &Stats::snapshot_chunks},
    {"messages_published_total", "Messages published for the first time.",
     &Stats::messages_published},
    {"messages_republished_total",
     "Messages published again after a nack, a return or a lost connection (consumers see "
     "duplicates).",
     &Stats::messages_republished},
    {"messages_confirmed_total", "Messages the broker confirmed.", &Stats::messages_confirmed},
    {"messages_nacked_total",
     "Negative confirmations from the broker (the messages are sent again).",
     &Stats::messages_nacked},
    {"messages_returned_total",
     "Messages returned as unroutable ([amqp] mandatory = true; sent again until a queue takes "
     "them).",
     &Stats::messages_returned},
    {"messages_oversize_total",
     "Row messages larger than the broker takes, published as row_oversize messages instead "
     "([amqp] on_oversize = stub).",
     &Stats::messages_oversize},
    {"broker_reconnects_total", "Broker connection attempts after the first one.",
     &Stats::broker_reconnects},
    {"checkpoints_saved_total", "Checkpoints written to the state file.",
     &Stats::checkpoints_saved},
    {"snapshot_rows_total",
     "Rows the snapshot handed on for publishing as row_snapshot messages (README \"Snapshot\").",
     &Stats::snapshot_rows},
    {"snapshot_chunks_total", "Chunks the snapshot read, corrected and handed on.",
     &Stats::snapshot_chunks},
};

void renderCounters(ExpositionWriter& w, const Stats& stats) {
  for (const CounterSpec& counter : kCounters) {
    w.counter(counter.name, counter.help, get(stats.*counter.field));
  }
}

void renderReader(ExpositionWriter& w, const Stats& stats, int64_t now_unix) {
  if (const int role = get(stats.role); role != static_cast<int>(Role::Alone)) {
    w.gauge("leader",
            "1 while this monitor holds the leader lock and publishes; 0 while it stands by "
            "([monitor] state_store = mysql).",
            role == static_cast<int>(Role::Active) ? 1 : 0);
    w.gauge("leader_epoch", "The epoch this monitor leads, or last led, as (0: never led).",
            static_cast<double>(get(stats.leader_epoch)));
  }
  w.gauge("source_connected", "1 while the replica connection to the source is streaming.",
          get(stats.source_connected) ? 1 : 0);
  if (!stats.source_servers.empty()) {
    const size_t in_use = stats.source_server_in_use != nullptr
                              ? stats.source_server_in_use->load() % stats.source_servers.size()
                              : 0;
    std::vector<std::pair<std::string_view, double>> samples;
    for (size_t i = 0; i < stats.source_servers.size(); ++i) {
      samples.emplace_back(stats.source_servers[i], i == in_use ? 1 : 0);
    }
    w.gauges("source_server",
             "1 for the server of [mysql] host the monitor's connections use (the last that "
             "answered), 0 for the others: after a source failover, the promoted one.",
             "server", samples);
  }
  const int64_t event_timestamp = get(stats.last_event_timestamp);
  if (get(stats.source_caught_up) || event_timestamp > 0) {
    const int64_t lag =
        get(stats.source_caught_up) ? 0 : std::max<int64_t>(0, now_unix - event_timestamp);
    w.gauge("replication_lag_seconds",
            "Now minus the binlog timestamp of the last event read; 0 once the server's heartbeat "
            "says the reader is at its end.",
            static_cast<double>(lag));
  }
  if (event_timestamp > 0) {
    w.gauge("last_event_timestamp_seconds",
            "Binlog timestamp (Unix seconds) of the last event read.",
            static_cast<double>(event_timestamp));
  }
  const std::string read_file = stats.readFile();
  if (!read_file.empty()) {
    w.gauge("read_position", "Where the reader's next binlog event starts.",
            static_cast<double>(get(stats.read_position)), {{"file", read_file}});
  }
}

// The transformer's delay buffer and the queues between the stages.
void renderBuffers(ExpositionWriter& w, const Stats& stats) {
  w.gauge("delay_buffer_entries", "Messages held by the delay buffer.",
          static_cast<double>(get(stats.delay_buffer_entries)));
  w.gauge("snapshot_tables_remaining",
          "Tables the running snapshot has still to read, the one being read included.",
          static_cast<double>(get(stats.snapshot_tables_remaining)));
  w.gauges("queue_items",
           "Batches in a bounded queue between stages (source: reader to transformer; publish: "
           "transformer to publisher).",
           "queue",
           {{"source", static_cast<double>(get(stats.source_queue.items))},
            {"publish", static_cast<double>(get(stats.publish_queue.items))}});
  w.gauges("queue_bytes", "Bytes held by a bounded queue between stages.", "queue",
           {{"source", static_cast<double>(get(stats.source_queue.bytes))},
            {"publish", static_cast<double>(get(stats.publish_queue.bytes))}});
}

void renderPublisher(ExpositionWriter& w, const Stats& stats) {
  w.gauge("messages_unconfirmed", "Messages published and not yet confirmed.",
          static_cast<double>(get(stats.messages_unconfirmed)));
  w.gauge("broker_connected", "1 while connected to the broker.",
          get(stats.broker_connected) ? 1 : 0);
  w.gauge("broker_blocked", "1 while the broker blocks publishing (memory or disk alarm).",
          get(stats.broker_blocked) ? 1 : 0);
  w.gauge("snapshot_tables_remaining",
          "Tables the running snapshot has still to read, the one being read included; 0 when "
          "none runs.",
          static_cast<double>(get(stats.snapshot_tables_remaining)));
}

// The saved checkpoint, the source's binlog state, and how long until the source may purge the
// checkpoint's file.
void renderCheckpointAndRetention(ExpositionWriter& w, const Stats& stats, int64_t now_unix) {
  const auto checkpoint = stats.checkpoint();
  if (checkpoint) {
    w.gauge("checkpoint_position",
            "Binlog position of the last saved checkpoint (start of the first unconfirmed "
            "transaction).",
            static_cast<double>(checkpoint->at.offset), {{"file", checkpoint->at.file}});
    if (auto sequence = binlog::fileSequence(checkpoint->at.file)) {
      w.gauge("checkpoint_file_sequence",
              "Number of the checkpoint's binlog file (mysql-bin.000042 -> 42).",
              static_cast<double>(*sequence));
    }
    w.gauge("checkpoint_timestamp_seconds", "When the last checkpoint was saved (Unix seconds).",
            static_cast<double>(checkpoint->saved_unix));
  }
  const auto server = stats.serverState();
  if (server) {
    w.gauge("server_binlog_position", "The source's end of binlog when last polled.",
            static_cast<double>(server->current.offset), {{"file", server->current.file}});
    w.gauge("binlog_expire_seconds",
            "The source's automatic binlog purge age (binlog_expire_logs_seconds or "
            "expire_logs_days); 0 = never purges.",
            static_cast<double>(server->expire_seconds));
  }
  if (checkpoint) {
    if (auto created = stats.fileCreated(checkpoint->at.file)) {
      w.gauge("checkpoint_file_created_timestamp_seconds",
              "When the server began the checkpoint's binlog file (its FORMAT_DESCRIPTION event): "
              "the age estimate behind the runway.",
              static_cast<double>(*created));
      if (server) {
        w.gauge("retention_runway_seconds",
                "Estimated seconds until the source's binlog expiry may purge the checkpoint's "
                "file (+Inf = no expiry; negative = purged at the next rotation).",
                retentionRunway(server->expire_seconds, *created, now_unix));
      }
    }
  }
}

}  // namespace

std::string renderMetrics(const Stats& stats, int64_t now_unix, const Readiness& readiness) {
  ExpositionWriter w;
  renderCounters(w, stats);
  renderReader(w, stats, now_unix);
  renderBuffers(w, stats);
  renderPublisher(w, stats);
  renderCheckpointAndRetention(w, stats, now_unix);
  w.gauge("ready", "1 when /readyz answers 200.", readiness.ready ? 1 : 0);
  return w.text();
}

}  // namespace mm::metrics
