#include "checkpoint/state_file.h"

#include <charconv>
#include <set>

#include <fmt/format.h>

#include "binlog/gtid_set.h"
#include "common/atomic_file.h"
#include "common/regular_file.h"

namespace mm::checkpoint {
namespace {

constexpr int kFormatVersion = 1;
// A state file is a few lines; a MySQL GTID set of many servers makes it longer, never this long.
constexpr size_t kMaxStateFileBytes = 1 << 20;

bool parseUint(std::string_view text, uint64_t& out) {
  auto result = std::from_chars(text.data(), text.data() + text.size(), out);
  return result.ec == std::errc() && result.ptr == text.data() + text.size() && !text.empty();
}

}  // namespace

Result<Checkpoint> StateFile::load() const {
  auto saved = loadWithSource();
  if (!saved.isOk()) {
    return saved.status();
  }
  return std::move(saved->checkpoint);
}

Result<StateFile::Saved> StateFile::loadWithSource() const {
  bool missing = false;
  auto file = readRegularFile(path_, kMaxStateFileBytes, &missing);
  if (!file.isOk()) {
    if (missing) {
      return Saved{};
    }
    return Status::io(fmt::format("cannot read state file {}; check [monitor] state_path and its permissions",
                                  file.status().message()));
  }
  std::string_view text = file->content;
  Saved saved;
  Checkpoint& checkpoint = saved.checkpoint;
  bool has_version = false, has_file = false, has_position = false, has_rows_done = false;
  std::set<std::string, std::less<>> keys;
  int line_number = 0;
  auto bad = [&](std::string_view why) {
    return Status::corruption(fmt::format(
        "state file {} line {}: {}; fix or delete the file (deleting restarts from [mysql] "
        "start_position)",
        path_, line_number, why));
  };
  while (!text.empty()) {
    ++line_number;
    const size_t newline = text.find('\n');
    if (newline == std::string_view::npos) {
      // save() ends every line: the file was cut off (a partial copy, a full disk), maybe inside
      // a number, which would then still parse.
      return bad("cut off: the last line has no newline");
    }
    const std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline + 1);
    if (line.empty() || line[0] == '#') {
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string::npos) {
      return bad(fmt::format("expected key=value, got '{}'", line));
    }
    const std::string_view key = line.substr(0, eq);
    const std::string_view value = line.substr(eq + 1);
    if (!keys.emplace(key).second) {
      return bad(fmt::format("'{}' appears twice", key));
    }
    uint64_t number = 0;
    if (key == "version") {
      if (!parseUint(value, number) || number != kFormatVersion) {
        return bad(fmt::format("unsupported version '{}'", value));
      }
      has_version = true;
    } else if (key == "file") {
      if (value.empty() || value.find('/') != std::string_view::npos) {
        return bad(fmt::format("invalid binlog file name '{}'", value));
      }
      checkpoint.file = std::string(value);
      has_file = true;
    } else if (key == "position") {
      if (!parseUint(value, checkpoint.position) || checkpoint.position < 4) {
        return bad(fmt::format("invalid position '{}'", value));
      }
      has_position = true;
    } else if (key == "rows_done") {
      if (!parseUint(value, checkpoint.rows_done)) {
        return bad(fmt::format("invalid rows_done '{}'", value));
      }
      has_rows_done = true;
    } else if (key == "gtid_set") {
      auto gtids = binlog::GtidState::parse(value);
      if (!gtids.isOk()) {
        return bad(gtids.status().message());
      }
      checkpoint.gtid_set = gtids->text();
    } else if (key == "server_uuid") {
      if (value.empty()) {
        return bad("empty server_uuid");
      }
      saved.source.server_uuid = std::string(value);
    } else if (key == "server_id") {
      if (!parseUint(value, number) || number == 0 || number > 0xFFFFFFFFu) {
        return bad(fmt::format("invalid server_id '{}'", value));
      }
      saved.source.server_id = static_cast<uint32_t>(number);
    } else {
      return bad(fmt::format("unknown key '{}'", key));
    }
  }
  // Every version has written rows_done: a file without it lost its end.
  const bool gtid_only = !has_file && !has_position && !checkpoint.gtid_set.empty();
  if (!has_version || !has_rows_done || (!gtid_only && (!has_file || !has_position))) {
    ++line_number;
    return bad("incomplete: version, rows_done, and file and position (or a gtid_set) are required");
  }
  return saved;
}

Status StateFile::save(const Checkpoint& checkpoint) const {
  std::string content = fmt::format(
      "# mysql-monitor checkpoint: every change before this point is confirmed\nversion={}\n",
      kFormatVersion);
  if (!checkpoint.file.empty()) {  // else a start by GTID set whose position is not known yet
    content += fmt::format("file={}\nposition={}\n", checkpoint.file, checkpoint.position);
  }
  if (!checkpoint.gtid_set.empty()) {
    content += fmt::format("gtid_set={}\n", checkpoint.gtid_set);
  }
  if (!source_.server_uuid.empty()) {
    content += fmt::format("server_uuid={}\n", source_.server_uuid);
  } else if (source_.server_id != 0) {
    content += fmt::format("server_id={}\n", source_.server_id);
  }
  // Last, with its newline: any shorter prefix of the file lacks one or the other (load()).
  content += fmt::format("rows_done={}\n", checkpoint.rows_done);
  return writeFileAtomically(path_, content);
}

}  // namespace mm::checkpoint
