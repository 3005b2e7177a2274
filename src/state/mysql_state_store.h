// MysqlStateStore: the checkpoint and the schema history in the state tables of a MySQL/MariaDB
// server (state/state_tables.h), for a monitor whose state must outlive its machine
// ([monitor] state_store = mysql, docs/high-availability.md).
//
// prepare() creates the database and tables when missing. Writes carry the epoch the store was
// given (setEpoch(), by the leader lease, state/leader_lease.h): each is one UPDATE that changes
// the row only while the row's epoch is still that one, so it is atomic (InnoDB, one row) and a
// deposed leader's write changes nothing and returns Refused naming the newer leader. Reads and
// writes reconnect once when the link was lost. Thread-safe: one connection under a mutex (the
// checkpoint writer and the transformer's schema history share it).
//
// Errors name the server, the table and the monitor name; Refused for missing grants carries
// the GRANT to run (mysql/server_refusal.h).
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <string>

#include "checkpoint/state_store.h"
#include "common/document_store.h"
#include "mysql/connection.h"

namespace mm::state {

struct MysqlStateOptions {
  mysql::ConnectionOptions connection;
  std::string database = "mysql_monitor";
  std::string name = "mysql-monitor";  // [monitor] name: monitors of one name share one state
};

class MysqlStateStore final : public checkpoint::StateStore {
 public:
  explicit MysqlStateStore(MysqlStateOptions options);

  // Creates the database and the tables when missing.
  Status prepare();
  // The epoch every later write carries (the lease took office with it).
  void setEpoch(uint64_t epoch);

  Result<checkpoint::SavedState> loadWithSource() override;
  void setSource(checkpoint::SourceIdentity source) override;
  Status save(const checkpoint::Checkpoint& checkpoint) override;
  std::string describe() const override;
  DocumentStore& documents() override { return documents_; }

  const MysqlStateOptions& options() const { return options_; }
  // A write was refused because a newer leader took over (sticky until setEpoch()).
  bool fenced() const { return fenced_.load(); }

 private:
  class Documents final : public DocumentStore {
   public:
    explicit Documents(MysqlStateStore& store) : store_(store) {}
    Result<std::optional<std::string>> read(const std::string& name) override;
    Status write(const std::string& name, std::string_view content) override;
    std::string describe(const std::string& name) const override;

   private:
    MysqlStateStore& store_;
  };

  // Under mutex_: connects when not connected.
  Status connectLocked();
  Result<std::optional<std::string>> readRow(const std::string& document);
  Result<std::optional<std::string>> readRowLocked(const std::string& document);
  Status writeRow(const std::string& document, std::string_view content);
  Status writeRowLocked(const std::string& document, std::string_view content);
  // Why a write changed no row: the newer leader, or the row is missing.
  Status fencedLocked(const std::string& document);
  std::string table() const;

  MysqlStateOptions options_;
  Documents documents_{*this};
  std::mutex mutex_;
  mysql::Connection connection_;       // guarded by mutex_
  uint64_t epoch_ = 0;                 // guarded by mutex_
  checkpoint::SourceIdentity source_;  // guarded by mutex_
  std::atomic<bool> fenced_{false};
};

// "the state tables ... cannot be created or written: error N: TEXT; fix: GRANT ..." for the
// connection's last error (a refusal).
std::string grantsMissing(const mysql::Connection& connection, const MysqlStateOptions& options);

}  // namespace mm::state
