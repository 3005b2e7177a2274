#include "state/mysql_state_store.h"

#include <fmt/format.h>

#include "state/state_tables.h"

namespace mm::state {
namespace {

// A link error (the client's 2000..2999: server gone, lost, timed out) is worth one reconnect.
bool linkLost(const Status& status) { return status.code() == StatusCode::Io; }

}  // namespace

std::string grantsMissing(const mysql::Connection& connection, const MysqlStateOptions& options) {
  return fmt::format(
      "MySQL server {}: the state tables in {} ([state] database) cannot be created or written: "
      "error {}: {}; fix: GRANT SELECT, INSERT, UPDATE, CREATE ON {}.* TO '{}' (the state "
      "tables only, docs/high-availability.md)",
      connection.where(), quoteIdentifier(options.database), connection.lastErrno(),
      connection.lastErrorText(), quoteIdentifier(options.database), options.connection.user);
}

MysqlStateStore::MysqlStateStore(MysqlStateOptions options) : options_(std::move(options)) {}

std::string MysqlStateStore::table() const {
  return quoteIdentifier(options_.database) + ".monitor_state";
}

std::string MysqlStateStore::describe() const {
  return fmt::format("state table {} (name '{}') on {}:{}", table(), options_.name,
                     options_.connection.host, options_.connection.port);
}

Status MysqlStateStore::connectLocked() {
  if (connection_.connected()) {
    return Status::ok();
  }
  return connection_.connect(options_.connection);
}

Status MysqlStateStore::prepare() {
  std::lock_guard lock(mutex_);
  MM_RETURN_IF_ERROR(connectLocked());
  for (const std::string& statement : createStatements(options_.database)) {
    if (Status created = connection_.execute(statement); !created.isOk()) {
      if (created.code() == StatusCode::Refused) {
        return Status::refused(grantsMissing(connection_, options_));
      }
      return created.withContext(
          fmt::format("creating the state tables in database {} ([state] database)",
                      quoteIdentifier(options_.database)));
    }
  }
  return Status::ok();
}

void MysqlStateStore::setEpoch(uint64_t epoch) {
  std::lock_guard lock(mutex_);
  epoch_ = epoch;
  fenced_ = false;
}

void MysqlStateStore::setSource(checkpoint::SourceIdentity source) {
  std::lock_guard lock(mutex_);
  source_ = std::move(source);
}

Result<std::optional<std::string>> MysqlStateStore::readRow(const std::string& document) {
  std::lock_guard lock(mutex_);
  auto rows = readRowLocked(document);
  if (!rows.isOk() && linkLost(rows.status())) {
    connection_.close();
    rows = readRowLocked(document);
  }
  return rows;
}

Result<std::optional<std::string>> MysqlStateStore::readRowLocked(const std::string& document) {
  MM_RETURN_IF_ERROR(connectLocked());
  auto rows = connection_.query(fmt::format(
      "SELECT content FROM {} WHERE name = {} AND document = {}", table(),
      mysql::quoteLiteral(connection_, options_.name), mysql::quoteLiteral(connection_, document)));
  if (!rows.isOk()) {
    return rows.status();
  }
  if (rows->empty() || (*rows)[0].empty() || !(*rows)[0][0]) {
    return std::optional<std::string>{};
  }
  return std::optional<std::string>(std::move(*(*rows)[0][0]));
}

Status MysqlStateStore::writeRow(const std::string& document, std::string_view content) {
  std::lock_guard lock(mutex_);
  Status written = writeRowLocked(document, content);
  if (!written.isOk() && linkLost(written)) {
    connection_.close();
    written = writeRowLocked(document, content);
  }
  return written;
}

Status MysqlStateStore::writeRowLocked(const std::string& document, std::string_view content) {
  MM_RETURN_IF_ERROR(connectLocked());
  auto changed = connection_.update(
      fmt::format("UPDATE {} SET content = {}, revision = revision + 1, saved_at = NOW(6) "
                  "WHERE name = {} AND document = {} AND epoch = {}",
                  table(), mysql::quoteLiteral(connection_, content),
                  mysql::quoteLiteral(connection_, options_.name),
                  mysql::quoteLiteral(connection_, document), epoch_),
      fmt::format("saving {} in {}", document, describe()));
  if (!changed.isOk()) {
    return changed.status();
  }
  return *changed == 1 ? Status::ok() : fencedLocked(document);
}

Status MysqlStateStore::fencedLocked(const std::string& document) {
  auto leader = connection_.query(fmt::format(
      "SELECT epoch, holder FROM {}.monitor_leader WHERE name = {}",
      quoteIdentifier(options_.database), mysql::quoteLiteral(connection_, options_.name)));
  std::string newer = "another leader";
  if (leader.isOk() && !leader->empty() && (*leader)[0].size() == 2 && (*leader)[0][0]) {
    newer = fmt::format("leader epoch {} ({})", *(*leader)[0][0], (*leader)[0][1].value_or("?"));
  }
  fenced_ = true;
  return Status::refused(fmt::format(
      "{}: not saving {}: this monitor led as epoch {}, and {} has taken over since (fenced: a "
      "deposed leader never moves the state; this monitor stands by)",
      describe(), document, epoch_, newer));
}

Result<checkpoint::SavedState> MysqlStateStore::loadWithSource() {
  auto content = readRow(std::string(kPositionDocument));
  if (!content.isOk()) {
    return content.status().withContext(fmt::format("reading {}", describe()));
  }
  if (!content->has_value() || (*content)->empty()) {
    return checkpoint::SavedState{};
  }
  return checkpoint::parseState(
      **content, describe(),
      fmt::format("fix the row's content, or set it to NULL to restart from [mysql] "
                  "start_position (UPDATE {} SET content = NULL WHERE name = '{}' AND "
                  "document = 'position')",
                  table(), options_.name));
}

Status MysqlStateStore::save(const checkpoint::Checkpoint& checkpoint) {
  checkpoint::SourceIdentity source;
  {
    std::lock_guard lock(mutex_);
    source = source_;
  }
  return writeRow(std::string(kPositionDocument), checkpoint::formatState(checkpoint, source));
}

Result<std::optional<std::string>> MysqlStateStore::Documents::read(const std::string& name) {
  auto content = store_.readRow(name);
  if (!content.isOk()) {
    return Status::io(fmt::format("{}: {}", describe(name), content.status().message()));
  }
  if (content->has_value() && (*content)->empty()) {
    return std::optional<std::string>{};
  }
  return content;
}

Status MysqlStateStore::Documents::write(const std::string& name, std::string_view content) {
  return store_.writeRow(name, content);
}

std::string MysqlStateStore::Documents::describe(const std::string& name) const {
  return fmt::format("'{}' in {}", name, store_.describe());
}

}  // namespace mm::state
