// The "gap" control message: the monitor could not resume where it stopped (the server no longer
// has that binlog) and, as [mysql] on_position_lost = current asks, resumed at the server's
// current position. Changes between the two are lost to consumers, who must resynchronise:
//   {"type":"gap","from":"FILE:POS","to":"FILE:POS","timestamp":S}
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mm::message {

// `from` and `to` are "FILE:POS"; `timestamp` Unix seconds (when it was built for publishing).
std::string gapMessage(std::string_view from, std::string_view to, int64_t timestamp);

}  // namespace mm::message
