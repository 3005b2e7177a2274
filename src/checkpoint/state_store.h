// StateStore: where the checkpoint and the documents beside it (the schema history) are kept.
// Two stores ([monitor] state_store): a directory on the local disk (checkpoint/state_file.h) and
// tables on a MySQL/MariaDB server (state/mysql_state_store.h), which lets a standby on another
// machine take over (docs/high-availability.md).
//
// load*() before the pipeline starts; then save() from one thread (pipeline/checkpoint_writer.h)
// and the documents from another (the transformer's schema history): a store must allow both at
// once. A save a store refuses for good (a newer leader holds the state: Refused) stops the
// pipeline like any failed save; the daemon then tells a deposed leader from a broken store
// (app/run.cpp).
#pragma once

#include <string>

#include "checkpoint/checkpoint.h"
#include "checkpoint/state_text.h"
#include "common/document_store.h"
#include "common/status.h"

namespace mm::checkpoint {

class StateStore {
 public:
  virtual ~StateStore() = default;

  // The saved state; an empty checkpoint when nothing was ever saved. Corruption/Io name the
  // store (describe()).
  virtual Result<SavedState> loadWithSource() = 0;
  Result<Checkpoint> load() {
    auto saved = loadWithSource();
    if (!saved.isOk()) {
      return saved.status();
    }
    return std::move(saved->checkpoint);
  }
  // Every later save() records `source` beside the checkpoint. Call before the writer starts.
  virtual void setSource(SourceIdentity source) = 0;
  virtual Status save(const Checkpoint& checkpoint) = 0;
  // "state file PATH" or "state table `db`.`mysql_monitor_state` (name N) on HOST:PORT".
  virtual std::string describe() const = 0;
  virtual DocumentStore& documents() = 0;
};

}  // namespace mm::checkpoint
