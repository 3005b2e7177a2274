// StateFile: the checkpoint on disk, replaced atomically.
//
// save() writes a temporary file beside the target, fsyncs it, renames it over the target and
// fsyncs the directory (leveldb SetCurrentFile), so a crash leaves either the old or the new state,
// never a torn one. load() returns an empty Checkpoint when no file exists (ENOENT) and a
// Corruption error naming the file, the line and the fix when it exists but does not parse: a
// damaged state never means "start over". Damaged includes cut off (save() ends every line with a
// newline and always writes rows_done, so a file without either lost its end, maybe inside a
// number) and a key written twice. A path that cannot be read (not a regular file, no permission, a
// component that is not a directory, a symlink loop) is an Io error naming the path and the
// system's reason. Not thread-safe: one writer (the publisher stage).
//
// Format: checkpoint/state_text.h. The documents beside it (the schema history) are files in the
// same directory.
#pragma once

#include <string>

#include "checkpoint/checkpoint.h"
#include "checkpoint/state_store.h"
#include "common/status.h"

namespace mm::checkpoint {

class StateFile final : public StateStore {
 public:
  // `path` is the state file itself; its directory is created on first save, and holds the
  // documents.
  explicit StateFile(std::string path);

  using Saved = SavedState;

  Result<SavedState> loadWithSource() override;
  void setSource(SourceIdentity source) override { source_ = std::move(source); }
  Status save(const Checkpoint& checkpoint) override;
  std::string describe() const override;
  DocumentStore& documents() override { return documents_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  SourceIdentity source_;
  DirectoryDocuments documents_;
};

}  // namespace mm::checkpoint
