#include "checkpoint/origin_state.h"

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "common/regular_file.h"
#include "common/strings.h"

namespace mm::checkpoint {

Result<std::optional<binlog::Position>> loadOriginState(const std::string& path) {
  constexpr size_t kMaxBytes = 4096;
  bool missing = false;
  auto file = readRegularFile(path, kMaxBytes, &missing);
  if (!file.isOk()) {
    if (missing) {
      return std::optional<binlog::Position>{};
    }
    return Status::io(
        fmt::format("cannot read the Python monitor's state file {}", file.status().message()));
  }
  if (trim(file->content).empty()) {
    return std::optional<binlog::Position>{};
  }
  rapidjson::Document state;
  state.Parse(file->content.data(), file->content.size());
  const auto bad = [&](std::string_view why) {
    return Status::corruption(fmt::format(
        "the Python monitor's state file {} {}: expected {{\"binlog_file\": \"FILE\", "
        "\"binlog_position\": N}}. Fix or remove it (without it the first start begins at "
        "[mysql] start_position)",
        path, why));
  };
  if (state.HasParseError() || !state.IsObject()) {
    return bad("is not a JSON object");
  }
  const auto file_name = state.FindMember("binlog_file");
  const auto position = state.FindMember("binlog_position");
  if (file_name == state.MemberEnd() || position == state.MemberEnd()) {
    return bad("lacks binlog_file or binlog_position");
  }
  if (file_name->value.IsNull() || position->value.IsNull()) {
    return std::optional<binlog::Position>{};  // State.save() of a start without a position
  }
  if (!file_name->value.IsString() || file_name->value.GetStringLength() == 0 ||
      !position->value.IsUint64() || position->value.GetUint64() < 4) {
    return bad("has a binlog_file that is no name or a binlog_position that is no position");
  }
  return std::optional<binlog::Position>{
      binlog::Position{file_name->value.GetString(), position->value.GetUint64()}};
}

}  // namespace mm::checkpoint
