#include "app/snapshot_command.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "app/exit_codes.h"

namespace mm::app {
namespace {

std::string statusJson(const pipeline::SnapshotStatus& s) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("running");
  w.Bool(s.running);
  w.Key("id");
  w.String(s.id.c_str());
  w.Key("table");
  w.String(s.table.c_str());
  w.Key("table_rows_done");
  w.Uint64(s.table_rows_done);
  w.Key("table_estimated_rows");
  w.Uint64(s.table_estimated_rows);
  w.Key("tables_done");
  w.Uint64(s.tables_done);
  w.Key("tables_total");
  w.Uint64(s.tables_total);
  w.Key("rows_total");
  w.Uint64(s.rows_total);
  w.Key("rows_per_second");
  w.Double(s.rows_per_second);
  w.Key("started");
  w.Int64(s.started_unix);
  w.Key("errors");
  w.StartArray();
  for (const auto& e : s.errors) {
    w.String(e.c_str());
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

metrics::HttpResponse answer(int status, std::string body) {
  metrics::HttpResponse r;
  r.status = status;
  r.body = std::move(body) + "\n";
  return r;
}

metrics::HttpResponse requestSnapshot(pipeline::SnapshotControl& control,
                                      const metrics::HttpRequest& request) {
  std::vector<binlog::TableName> tables;
  if (auto it = request.arguments.find("tables"); it != request.arguments.end()) {
    auto parsed = parseTableList(it->second);
    if (!parsed.isOk()) {
      return answer(400, parsed.status().message());
    }
    tables = std::move(*parsed);
  }
  const auto a = control.request(std::move(tables));
  using O = pipeline::SnapshotControl::Outcome;
  const int code = a.outcome == O::Accepted  ? 202
                   : a.outcome == O::Busy    ? 409
                   : a.outcome == O::Invalid ? 400
                                             : 503;
  return answer(code, a.message);
}

// One HTTP/1.0 request to the monitor's loopback listener: written by hand rather than with
// libcurl, which Debian ships but the project does not otherwise need, for one local request.
Result<std::pair<int, std::string>> httpCall(const std::string& host, int port,
                                             const std::string& method, const std::string& target) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) {
    return Status::io(fmt::format("cannot resolve {}", host));
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) {
    return Status::io(fmt::format("nothing answers on {}:{}", host, port));
  }
  const std::string head =
      fmt::format("{} {} HTTP/1.0\r\nHost: {}\r\nContent-Length: 0\r\n\r\n", method, target, host);
  std::string reply;
  if (send(fd, head.data(), head.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(head.size())) {
    char buffer[4096];
    for (ssize_t n; (n = recv(fd, buffer, sizeof buffer, 0)) > 0;) {
      reply.append(buffer, static_cast<size_t>(n));
    }
  }
  close(fd);
  int status = 0;
  if (std::sscanf(reply.c_str(), "HTTP/%*s %d", &status) != 1) {
    return Status::io(fmt::format("{}:{} gave no HTTP answer", host, port));
  }
  const size_t body = reply.find("\r\n\r\n");
  return std::pair{status, body == std::string::npos ? std::string() : reply.substr(body + 4)};
}

std::string percentEncoded(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '.' || c == '_' || c == '-' || c == ',') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

Result<std::vector<binlog::TableName>> parseTableList(std::string_view text) {
  std::vector<binlog::TableName> tables;
  std::vector<std::string> parts;  // database, table, database, table...
  size_t i = 0;
  auto bad = [&](std::string_view why) {
    return Status::invalidArgument(
        fmt::format("table list '{}': {} (DATABASE.TABLE, or `db`.`table`)", text, why));
  };
  while (i < text.size()) {
    for (int part = 0; part < 2; ++part) {
      std::string name;
      if (i < text.size() && text[i] == '`') {
        for (++i; i < text.size(); ++i) {
          if (text[i] == '`' && (i + 1 >= text.size() || text[i + 1] != '`')) {
            break;
          }
          name += text[i];
          i += text[i] == '`' ? 1 : 0;
        }
        if (i >= text.size()) {
          return bad("an unclosed backquote");
        }
        ++i;
      } else {
        const size_t end = text.find_first_of(part == 0 ? ".," : ",", i);
        name = std::string(text.substr(i, end == std::string_view::npos ? end : end - i));
        i = end == std::string_view::npos ? text.size() : end;
      }
      if (name.empty()) {
        return bad("an empty name");
      }
      parts.push_back(std::move(name));
      if (part == 0) {
        if (i >= text.size() || text[i] != '.') {
          return bad(fmt::format("'{}' names no table", parts.back()));
        }
        ++i;
      }
    }
    if (i < text.size() && text[i] != ',') {
      return bad("a name runs on after its closing backquote");
    }
    i += i < text.size() ? 1 : 0;
    tables.push_back({parts[parts.size() - 2], parts.back()});
  }
  return tables;
}

metrics::HttpHandler snapshotRoutes(pipeline::SnapshotControl& control) {
  return [&control](const metrics::HttpRequest& request) {
    metrics::HttpResponse r;
    if (request.path == "/snapshot" && request.method == "GET") {
      r.content_type = "application/json";
      r.body = statusJson(control.status());
    } else if (request.path == "/snapshot" && request.method == "POST") {
      r = requestSnapshot(control, request);
    } else if (request.path == "/snapshot/cancel" && request.method == "POST") {
      r = control.cancel() ? answer(200, "cancelling: the snapshot stops after its chunk in flight")
                           : answer(409, "no snapshot is running");
    } else if (request.path == "/snapshot" || request.path == "/snapshot/cancel") {
      r = answer(405, "method not allowed: GET or POST /snapshot, POST /snapshot/cancel");
      r.allow = request.path == "/snapshot" ? "GET, POST" : "POST";
    } else {
      r.status = 404;
    }
    return r;
  };
}

int runSnapshotCommand(const config::Config& config, const CommandLine& command_line) {
  if (!config.metrics.enabled) {
    std::cerr << "mysql-monitor snapshot: [metrics] listen = off: the running monitor takes "
                 "requests on that address only\n";
    return kExitFailure;
  }
  std::string tables;
  for (const std::string& t : command_line.tables) {
    if (Status s = parseTableList(t).status(); !s.isOk()) {
      std::cerr << "mysql-monitor snapshot: " << s.message() << "\n";
      return kExitFailure;
    }
    tables += (tables.empty() ? "" : ",") + t;
  }
  const std::string target = command_line.cancel ? "/snapshot/cancel"
                             : tables.empty()    ? "/snapshot"
                                                 : "/snapshot?tables=" + percentEncoded(tables);
  auto reply = httpCall(config.metrics.host, config.metrics.port, "POST", target);
  if (!reply.isOk()) {
    std::cerr << "mysql-monitor snapshot: " << reply.status().message()
              << ": is the monitor running? (it answers on [metrics] listen)\n";
    return kExitFailure;
  }
  std::cout << reply->second;
  return reply->first == 200 || reply->first == 202 ? kExitOk : kExitFailure;
}

std::string snapshotStatusLines(const config::Config& config) {
  if (!config.metrics.enabled) {
    return {};
  }
  auto reply = httpCall(config.metrics.host, config.metrics.port, "GET", "/snapshot");
  if (!reply.isOk() || reply->first != 200) {
    return {};
  }
  rapidjson::Document doc;
  doc.Parse(reply->second.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("running")) {
    return {};
  }
  if (!doc["running"].GetBool()) {
    return doc["id"].GetStringLength() == 0
               ? "snapshot:         none since the monitor started\n"
               : fmt::format("snapshot:         {} finished, {} rows\n", doc["id"].GetString(),
                             doc["rows_total"].GetUint64());
  }
  const double rate = doc["rows_per_second"].GetDouble();
  const uint64_t done = doc["table_rows_done"].GetUint64();
  const uint64_t estimate = doc["table_estimated_rows"].GetUint64();
  const double eta = rate > 0 && estimate > done ? static_cast<double>(estimate - done) / rate : 0;
  return fmt::format(
      "snapshot:         {} running: table {} ({} of {}), {} rows of about {} done, {:.0f} rows/s, "
      "table ETA {:.0f} s\n",
      doc["id"].GetString(), doc["table"].GetString(), doc["tables_done"].GetUint64() + 1,
      doc["tables_total"].GetUint64(), done, estimate, rate, eta);
}

}  // namespace mm::app
