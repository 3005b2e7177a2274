// MessageSchema: docs/message.schema.json, the published contract of message bodies, applied to
// messages in tests with RapidJSON's validator (JSON Schema draft-04, the draft it implements).
//
// validate() checks a body against the whole schema (what a consumer would do), and when that
// fails it says why in terms a person can act on: the message's type, the field (a JSON pointer),
// the schema keyword that refused it and, for `required`, the missing field names. The top-level
// oneOf alone would only say "oneOf"; the detail comes from validating the body again against the
// definition its `type` names. Thread-compatible: one instance per thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "common/status.h"

namespace mm::test {

class MessageSchema {
 public:
  ~MessageSchema();

  // Reads and compiles the schema at `path` (default: the repository's docs/message.schema.json).
  // Internal error naming the file when it cannot be read or is not a JSON object with definitions.
  static Result<std::unique_ptr<MessageSchema>> load(
      const std::string& path = MM_MESSAGE_SCHEMA_PATH);

  // Ok, or InvalidArgument naming the failure and quoting the body.
  Status validate(std::string_view body) const;

 private:
  struct Compiled;
  explicit MessageSchema(std::unique_ptr<Compiled> compiled);

  std::unique_ptr<Compiled> compiled_;
};

// For assertions: EXPECT_TRUE(isValidMessage(body)) fails with validate()'s words. Uses the
// repository's schema, loaded once per process (a failure to load fails every call).
::testing::AssertionResult isValidMessage(std::string_view body);

}  // namespace mm::test
