// Status and Result<T>: how every expected failure travels in mysql-monitor.
//
// Anything caused by the outside world (server, bytes, broker, files, config) returns a Status or a
// Result<T> instead of throwing. A Status is either ok or carries a code and a message that names
// what failed and where ("rows event at mysql-bin.000042:91234, table id 17: truncated"). Callers
// add context while propagating with withContext() and log once, where the error is handled.
//
// Both types are cheap to move, [[nodiscard]], and not thread-safe (like any value).
#pragma once

#include <cassert>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace mm {

enum class StatusCode {
  Ok,
  InvalidArgument,  // bad configuration or arguments
  Corruption,       // bytes that do not follow the format
  Unsupported,      // a valid format we do not handle (yet)
  Io,               // files, sockets, connections
  Protocol,         // a peer said no or spoke out of turn (server error packet, AMQP nack)
  Timeout,
  Cancelled,  // a stop was requested
  Refused,    // a peer refused for good (credentials, grants, a conflicting declaration):
              // retrying cannot help, the daemon exits 1 (README "Exit codes")
  Internal,
};

std::string_view statusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;

  static Status ok() { return {}; }
  static Status invalidArgument(std::string msg) {
    return {StatusCode::InvalidArgument, std::move(msg)};
  }
  static Status corruption(std::string msg) { return {StatusCode::Corruption, std::move(msg)}; }
  static Status unsupported(std::string msg) { return {StatusCode::Unsupported, std::move(msg)}; }
  static Status io(std::string msg) { return {StatusCode::Io, std::move(msg)}; }
  static Status protocol(std::string msg) { return {StatusCode::Protocol, std::move(msg)}; }
  static Status timeout(std::string msg) { return {StatusCode::Timeout, std::move(msg)}; }
  static Status cancelled(std::string msg) { return {StatusCode::Cancelled, std::move(msg)}; }
  static Status refused(std::string msg) { return {StatusCode::Refused, std::move(msg)}; }
  static Status internal(std::string msg) { return {StatusCode::Internal, std::move(msg)}; }

  bool isOk() const { return code_ == StatusCode::Ok; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "context: message", keeping the code. No-op on ok.
  Status withContext(std::string_view context) const;

  // "Corruption: context: message" for logs and exit messages.
  std::string toString() const;

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}

  StatusCode code_ = StatusCode::Ok;
  std::string message_;
};

// A value or the Status that explains why there is none. Requires: the Status is not ok.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : storage_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : storage_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(storage_).isOk());
  }

  bool isOk() const { return std::holds_alternative<T>(storage_); }
  const Status& status() const {
    static const Status kOk;
    return isOk() ? kOk : std::get<Status>(storage_);
  }
  T& value() & { return std::get<T>(storage_); }
  const T& value() const& { return std::get<T>(storage_); }
  T&& value() && { return std::get<T>(std::move(storage_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> storage_;
};

}  // namespace mm

// Propagate a non-ok Status (or the Status of a failed Result) to the caller.
#define MM_RETURN_IF_ERROR(expr)      \
  do {                                \
    ::mm::Status mm_status_ = (expr); \
    if (!mm_status_.isOk()) {         \
      return mm_status_;              \
    }                                 \
  } while (false)
