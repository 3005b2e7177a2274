#include "binlog/start_position.h"

#include "common/decimal.h"

namespace mm::binlog {

std::optional<StartPosition> parseStartPosition(std::string_view text) {
  if (text == "current") {
    return StartPosition::current();
  }
  if (text == "earliest") {
    return StartPosition::earliest();
  }
  // An empty set (",", " ") is no start: it would leave a stream with neither file nor GTIDs.
  if (auto gtids = GtidState::parse(text); gtids.isOk() && !gtids->text().empty()) {
    return StartPosition{StartPosition::Kind::Gtid, {}, std::move(*gtids), std::string(text)};
  }
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return std::nullopt;
  }
  const auto offset = parseDecimal<uint64_t>(text.substr(colon + 1));
  if (!offset || *offset < 4) {
    return std::nullopt;
  }
  return StartPosition{StartPosition::Kind::At,
                       Position{std::string(text.substr(0, colon)), *offset},
                       {},
                       std::string(text)};
}

}  // namespace mm::binlog
