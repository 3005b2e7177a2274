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
// Format (common/line_format.h: one key=value per line, '#' comments, every line ends in '\n'):
//   version=1
//   file=mysql-bin.000042
//   position=1234
//   gtid_set=0-1-100      (optional: the GTID set executed before that transaction, MySQL's
//                          uuid:1-5 form or MariaDB's domain-server-seq form; alone, without
//                          file and position, for a start by GTID set not yet streamed)
//   server_id=1           (or server_uuid=... on MySQL: the source the position belongs to;
//                          absent in files written before it was recorded, which still load)
//   snapshot_id=20261205T011500Z-3f9a      (optional, all five together: a snapshot in
//   snapshot_tables=shop.orders,shop.items  progress, docs/design.md §13.4; the tables still to
//   snapshot_after_key=x2A                  do, names percent-encoded but [A-Za-z0-9_$-]; the
//   snapshot_rows_done=4096                 first one's last confirmed key and rows, whether its
//   snapshot_table_started=1                snapshot_start is confirmed; after_key may be absent)
//   rows_done=0           (required; written last since issue 16, so that no prefix of a file
//                          loads; older files have it before gtid_set and still load)
#pragma once

#include <string>

#include "checkpoint/checkpoint.h"
#include "common/status.h"

namespace mm::checkpoint {

class StateFile {
 public:
  // `path` is the state file itself; its directory is created on first save.
  explicit StateFile(std::string path) : path_(std::move(path)) {}

  struct Saved {
    Checkpoint checkpoint;
    SourceIdentity source;  // empty when the file predates it
  };

  Result<Checkpoint> load() const;
  Result<Saved> loadWithSource() const;
  // Every later save() records `source` beside the checkpoint. Call before the writer starts.
  void setSource(SourceIdentity source) { source_ = std::move(source); }
  Status save(const Checkpoint& checkpoint) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  SourceIdentity source_;
};

}  // namespace mm::checkpoint
