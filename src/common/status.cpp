#include "common/status.h"

namespace mm {

std::string_view statusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::Ok: return "OK";
    case StatusCode::InvalidArgument: return "Invalid argument";
    case StatusCode::Corruption: return "Corruption";
    case StatusCode::Unsupported: return "Unsupported";
    case StatusCode::Io: return "I/O error";
    case StatusCode::Protocol: return "Protocol error";
    case StatusCode::Timeout: return "Timeout";
    case StatusCode::Cancelled: return "Cancelled";
    case StatusCode::Refused: return "Refused";
    case StatusCode::Internal: return "Internal error";
  }
  return "Unknown";
}

Status Status::withContext(std::string_view context) const {
  if (isOk()) {
    return *this;
  }
  std::string msg;
  msg.reserve(context.size() + 2 + message_.size());
  msg.append(context).append(": ").append(message_);
  return Status(code_, std::move(msg));
}

std::string Status::toString() const {
  if (isOk()) {
    return "OK";
  }
  std::string out(statusCodeName(code_));
  out.append(": ").append(message_);
  return out;
}

}  // namespace mm
