// DocumentStore: named texts kept beside the checkpoint (today the schema history,
// schema/schema_history.h), each read whole and replaced whole, atomically: a reader sees the old
// or the new content, never a mix. The state store decides where they live: files in the state
// directory (DirectoryDocuments), or rows of the state table on a server
// (state/mysql_state_store.h, docs/high-availability.md).
//
// Errors: Io reading "DOCUMENT: REASON" (DOCUMENT as describe() names it), for the caller to say
// what it was reading; a store that lost the right to write
// (a newer leader, docs/high-availability.md "Fencing") returns Refused from write().
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mm {

class DocumentStore {
 public:
  virtual ~DocumentStore() = default;
  // The document's content; nullopt when it was never written.
  virtual Result<std::optional<std::string>> read(const std::string& name) = 0;
  virtual Status write(const std::string& name, std::string_view content) = 0;
  // "file /var/lib/mysql-monitor/schema_history", for messages.
  virtual std::string describe(const std::string& name) const = 0;
};

// Each document is the file DIRECTORY/NAME, replaced by writeFileAtomically (common/atomic_file.h).
class DirectoryDocuments final : public DocumentStore {
 public:
  explicit DirectoryDocuments(std::string directory) : directory_(std::move(directory)) {}
  Result<std::optional<std::string>> read(const std::string& name) override;
  Status write(const std::string& name, std::string_view content) override;
  std::string describe(const std::string& name) const override;

 private:
  std::string path(const std::string& name) const;

  std::string directory_;
};

}  // namespace mm
