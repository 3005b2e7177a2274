#include "checkpoint/state_file.h"

#include "checkpoint/state_text.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "binlog/gtid_set.h"
#include "common/atomic_file.h"
#include "common/line_format.h"
#include "common/regular_file.h"

namespace mm::checkpoint {
namespace {

using line_format::LineReader;

constexpr int kFormatVersion = 1;
// A state file is a few lines; a MySQL GTID set of many servers makes it longer, never this long.
constexpr size_t kMaxStateFileBytes = 1 << 20;

// Table names in `snapshot_tables`: DB.TABLE,DB.TABLE with every byte but [A-Za-z0-9_$-]
// percent-encoded, so names holding '.', ',', '=' or anything else stay unambiguous.
std::string encodeName(std::string_view name) {
  std::string out;
  for (unsigned char c : name) {
    if (std::isalnum(c) || c == '_' || c == '$' || c == '-') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::optional<std::string> decodeName(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    unsigned v = 0;
    if (i + 2 >= text.size() ||
        std::from_chars(text.data() + i + 1, text.data() + i + 3, v, 16).ptr !=
            text.data() + i + 3) {
      return std::nullopt;
    }
    out += static_cast<char>(v);
    i += 2;
  }
  if (out.empty()) {
    return std::nullopt;
  }
  return out;
}

std::string encodeTables(const std::vector<SnapshotProgress::Table>& tables) {
  std::string out;
  for (const auto& t : tables) {
    out += (out.empty() ? "" : ",") + encodeName(t.database) + "." + encodeName(t.table);
  }
  return out;
}

std::optional<std::vector<SnapshotProgress::Table>> decodeTables(std::string_view text) {
  std::vector<SnapshotProgress::Table> tables;
  size_t start = 0;
  while (start < text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view item = text.substr(start, comma - start);
    const size_t dot = item.find('.');
    if (dot == std::string_view::npos) {
      return std::nullopt;
    }
    auto database = decodeName(item.substr(0, dot));
    auto table = decodeName(item.substr(dot + 1));
    if (!database || !table) {
      return std::nullopt;
    }
    tables.push_back({std::move(*database), std::move(*table)});
    start = comma + 1;
  }
  if (tables.empty()) {
    return std::nullopt;
  }
  return tables;
}

// A list of texts of any bytes: each percent-encoded, joined by ','.
std::string encodeList(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    out += (out.empty() ? "" : ",") + encodeName(item);
  }
  return out;
}

std::optional<std::vector<std::string>> decodeList(std::string_view text) {
  std::vector<std::string> items;
  for (size_t start = 0; start < text.size();) {
    const size_t comma = std::min(text.find(',', start), text.size());
    auto item = decodeName(text.substr(start, comma - start));
    if (!item) {
      return std::nullopt;
    }
    items.push_back(std::move(*item));
    start = comma + 1;
  }
  return items;
}

bool parseUint(std::string_view text, uint64_t& out) {
  auto result = std::from_chars(text.data(), text.data() + text.size(), out);
  return result.ec == std::errc() && result.ptr == text.data() + text.size() && !text.empty();
}

// The records of one state file, as load() reads them.
class StateParser {
 public:
  explicit StateParser(const LineReader& reader) : reader_(reader) {}

  Status record(std::string_view line) {
    const auto entry = line_format::splitKeyValue(line);
    if (!entry) {
      return reader_.error(fmt::format("expected key=value, got '{}'", line));
    }
    if (!keys_.emplace(entry->key).second) {
      return reader_.error(fmt::format("'{}' appears twice", entry->key));
    }
    const std::optional<std::string> problem = take(entry->key, entry->value);
    return problem ? reader_.error(*problem) : Status::ok();
  }

  // The state, once every line was read; Corruption when a key it needs is missing.
  Result<SavedState> finish() {
    // Every version has written rows_done: a file without it lost its end.
    const bool gtid_only = !has("file") && !has("position") && !saved_.checkpoint.gtid_set.empty();
    const bool located = gtid_only || (has("file") && has("position"));
    if (snapshot_ != nullptr && (!has("snapshot_id") || !has("snapshot_tables"))) {
      return reader_.errorAt(reader_.lineNumber() + 1,
                             "incomplete snapshot progress: snapshot_id and snapshot_tables are "
                             "required with any other snapshot_ key");
    }
    saved_.checkpoint.snapshot = std::move(snapshot_);
    if (!has("version") || !has("rows_done") || !located) {
      return reader_.errorAt(reader_.lineNumber() + 1,
                             "incomplete: version, rows_done, and file and position (or a "
                             "gtid_set) are required");
    }
    return std::move(saved_);
  }

 private:
  bool has(std::string_view key) const { return keys_.contains(key); }

  // Stores `value` under `key`; what is wrong with it otherwise.
  std::optional<std::string> take(std::string_view key, std::string_view value) {
    Checkpoint& checkpoint = saved_.checkpoint;
    uint64_t number = 0;
    if (key == "version") {
      if (!parseUint(value, number) || number != kFormatVersion) {
        return fmt::format("unsupported version '{}'", value);
      }
    } else if (key == "file") {
      if (value.empty() || value.find('/') != std::string_view::npos) {
        return fmt::format("invalid binlog file name '{}'", value);
      }
      checkpoint.file = std::string(value);
    } else if (key == "position") {
      if (!parseUint(value, checkpoint.offset) || checkpoint.offset < 4) {
        return fmt::format("invalid position '{}'", value);
      }
    } else if (key == "rows_done") {
      if (!parseUint(value, checkpoint.rows_done)) {
        return fmt::format("invalid rows_done '{}'", value);
      }
    } else if (key == "gtid_set") {
      auto gtids = binlog::GtidState::parse(value);
      if (!gtids.isOk()) {
        return gtids.status().message();
      }
      checkpoint.gtid_set = gtids->text();
    } else if (key.starts_with("snapshot_")) {
      return takeSnapshot(key, value);
    } else {
      return takeSource(key, value);
    }
    return std::nullopt;
  }

  std::optional<std::string> takeSnapshot(std::string_view key, std::string_view value) {
    if (snapshot_ == nullptr) {
      snapshot_ = std::make_shared<SnapshotProgress>();
    }
    SnapshotProgress& s = *snapshot_;
    if (key == "snapshot_id") {
      if (value.empty()) {
        return "empty snapshot_id";
      }
      s.id = std::string(value);
    } else if (key == "snapshot_tables") {
      auto tables = decodeTables(value);
      if (!tables) {
        return fmt::format("invalid snapshot_tables '{}'", value);
      }
      s.tables = std::move(*tables);
    } else if (key == "snapshot_after_key") {
      s.after_key = std::string(value);
    } else if (key == "snapshot_rows_done") {
      if (!parseUint(value, s.rows_done)) {
        return fmt::format("invalid snapshot_rows_done '{}'", value);
      }
    } else if (key == "snapshot_refresh") {
      auto keys = decodeList(value);
      if (!keys) {
        return fmt::format("invalid snapshot_refresh '{}'", value);
      }
      s.refresh_keys = std::move(*keys);
    } else if (key == "snapshot_boundary") {
      s.boundary = std::string(value);
    } else if (key == "snapshot_table_started") {
      if (value != "0" && value != "1") {
        return fmt::format("invalid snapshot_table_started '{}' (0 or 1)", value);
      }
      s.table_started = value == "1";
    } else {
      return fmt::format("unknown key '{}'", key);
    }
    return std::nullopt;
  }

  std::optional<std::string> takeSource(std::string_view key, std::string_view value) {
    uint64_t number = 0;
    if (key == "server_uuid") {
      if (value.empty()) {
        return "empty server_uuid";
      }
      saved_.source.server_uuid = std::string(value);
    } else if (key == "server_id") {
      if (!parseUint(value, number) || number == 0 || number > 0xFFFFFFFFu) {
        return fmt::format("invalid server_id '{}'", value);
      }
      saved_.source.server_id = static_cast<uint32_t>(number);
    } else {
      return fmt::format("unknown key '{}'", key);
    }
    return std::nullopt;
  }

  const LineReader& reader_;
  SavedState saved_;
  std::shared_ptr<SnapshotProgress> snapshot_;  // when a snapshot_ key was read
  std::set<std::string, std::less<>> keys_;     // read so far (each was valid)
};

}  // namespace

Result<SavedState> parseState(std::string_view text, const std::string& what,
                              const std::string& fix) {
  // formatState() ends every line, rows_done last: a text without either was cut off.
  LineReader reader(text, {what, fix}, line_format::LastLine::NeedsNewline);
  StateParser parser(reader);
  MM_RETURN_IF_ERROR(
      reader.forEachRecord([&](std::string_view line) { return parser.record(line); }));
  return parser.finish();
}

std::string formatState(const Checkpoint& checkpoint, const SourceIdentity& source) {
  line_format::LineWriter content;
  content.comment("mysql-monitor checkpoint: every change before this point is confirmed");
  content.keyValue("version", kFormatVersion);
  if (!checkpoint.file.empty()) {  // else a start by GTID set whose position is not known yet
    content.keyValue("file", checkpoint.file);
    content.keyValue("position", checkpoint.offset);
  }
  if (!checkpoint.gtid_set.empty()) {
    content.keyValue("gtid_set", checkpoint.gtid_set);
  }
  if (!source.server_uuid.empty()) {
    content.keyValue("server_uuid", source.server_uuid);
  } else if (source.server_id != 0) {
    content.keyValue("server_id", source.server_id);
  }
  if (checkpoint.snapshot != nullptr && !checkpoint.snapshot->tables.empty()) {
    const SnapshotProgress& s = *checkpoint.snapshot;
    content.keyValue("snapshot_id", s.id);
    content.keyValue("snapshot_tables", encodeTables(s.tables));
    if (!s.after_key.empty()) {
      content.keyValue("snapshot_after_key", s.after_key);
    }
    content.keyValue("snapshot_rows_done", s.rows_done);
    if (!s.refresh_keys.empty()) {
      content.keyValue("snapshot_refresh", encodeList(s.refresh_keys));
    }
    if (!s.boundary.empty()) {
      content.keyValue("snapshot_boundary", s.boundary);
    }
    content.keyValue("snapshot_table_started", uint64_t{s.table_started ? 1u : 0u});
  }
  // Last, with its newline: any shorter prefix of the text lacks one or the other (parseState()).
  content.keyValue("rows_done", checkpoint.rows_done);
  return content.text();
}

Result<SavedState> StateFile::loadWithSource() {
  bool missing = false;
  auto file = readRegularFile(path_, kMaxStateFileBytes, &missing);
  if (!file.isOk()) {
    if (missing) {
      return SavedState{};
    }
    return Status::io(
        fmt::format("cannot read state file {}; check [monitor] state_path and its permissions",
                    file.status().message()));
  }
  return parseState(file->content, fmt::format("state file {}", path_),
                    "fix or delete the file (deleting restarts from [mysql] start_position)");
}

Status StateFile::save(const Checkpoint& checkpoint) {
  return writeFileAtomically(path_, formatState(checkpoint, source_));
}

StateFile::StateFile(std::string path)
    : path_(std::move(path)), documents_(std::filesystem::path(path_).has_parent_path()
                                             ? std::filesystem::path(path_).parent_path().string()
                                             : std::string(".")) {}

std::string StateFile::describe() const { return "state file " + path_; }

}  // namespace mm::checkpoint
