#include "mysql/transaction_start.h"

#include <charconv>

#include <fmt/format.h>

#include "common/strings.h"

namespace mm::mysql {
namespace {

bool startsWith(std::string_view text, std::string_view prefix) {
  return asciiUpper(text.substr(0, prefix.size())) == prefix;
}

uint64_t numberOf(const std::optional<std::string>& text) {
  uint64_t value = 0;
  if (text) {
    std::from_chars(text->data(), text->data() + text->size(), value);
  }
  return value;
}

// A binlog name as the server writes them: nothing a quoted literal would need escaped.
bool isPlainFileName(std::string_view name) {
  return !name.empty() && name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
                                                 "vwxyz0123456789._-") == std::string_view::npos;
}

}  // namespace

void TransactionBoundaries::add(const ListedEvent& event) {
  const std::string_view info = trim(event.info);
  if (event.type == "Gtid") {
    // MariaDB: "BEGIN GTID 0-1-5" opens a transaction ("GTID 0-1-6" precedes one DDL statement);
    // MySQL's GTID event is followed by a BEGIN query.
    in_transaction_ = startsWith(info, "BEGIN");
  } else if (event.type == "Xid") {
    in_transaction_ = false;
    last_start_ = event.end;
  } else if (event.type == "Query") {
    if (startsWith(info, "BEGIN") || startsWith(info, "XA START")) {
      in_transaction_ = true;
    } else if (startsWith(info, "COMMIT") || startsWith(info, "ROLLBACK") ||
               startsWith(info, "XA COMMIT") || startsWith(info, "XA ROLLBACK") ||
               !in_transaction_) {
      in_transaction_ = false;  // a transaction's end, or a statement of its own (DDL)
      last_start_ = event.end;
    }
  }
}

Result<uint64_t> transactionStartOf(Connection& connection, const binlog::Position& inside) {
  if (!isPlainFileName(inside.file)) {
    return Status::invalidArgument(
        fmt::format("'{}' is not a binlog file name", inside.file.substr(0, 64)));
  }
  constexpr size_t kPage = 5000;
  TransactionBoundaries boundaries;
  uint64_t from = 4;
  while (true) {
    auto rows = connection.query(
        fmt::format("SHOW BINLOG EVENTS IN '{}' FROM {} LIMIT {}", inside.file, from, kPage));
    if (!rows.isOk()) {
      return rows.status().withContext(
          fmt::format("listing the events of {} up to position {}", inside.file, inside.offset));
    }
    for (const Row& row : *rows) {
      // Log_name, Pos, Event_type, Server_id, End_log_pos, Info
      const ListedEvent event{numberOf(row.at(1)), row.at(2).value_or(""), numberOf(row.at(4)),
                              row.at(5).value_or("")};
      if (event.pos >= inside.offset) {
        return boundaries.lastStart();
      }
      boundaries.add(event);
      from = event.end;
    }
    if (from >= inside.offset) {
      return boundaries.lastStart();  // `inside` is the end of the file so far
    }
    if (rows->size() < kPage) {
      return Status::invalidArgument(
          fmt::format("position {} is past the end of {} on {} (it ends at {})", inside.offset,
                      inside.file, connection.where(), from));
    }
  }
}

}  // namespace mm::mysql
