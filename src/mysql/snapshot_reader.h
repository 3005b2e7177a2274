// SnapshotReader: the SnapshotSource (mysql/snapshot_source.h) over the server's SQL interface,
// with a connection of its own. Grants: SELECT (and REPLICATION CLIENT for the watermark on
// MySQL); no locks, no writes.
//
// describe(): the table's columns from information_schema.COLUMNS, typed as the server logs them
// (the binlog type and metadata of each data type, docs/binlog-format.md §4), completed with
// names, signedness, charsets, members and the key by binlog::completeTableMap over
// InformationSchema::lookup (the key is binlog::markRowKey's: the stream's own).
//
// readChunk()/readKeys(): one SELECT over the binary protocol (prepared statement), so FLOAT and
// DOUBLE keep their bits; the session reads strings as their raw bytes (character_set_results =
// binary) and TIMESTAMP in UTC; ENUM and SET as their index and bitmap (`col`+0). Every value is
// encoded into its row-image bytes (binlog/value_encoder.h). Watermark: on MariaDB the SELECT runs
// in START TRANSACTION WITH CONSISTENT SNAPSHOT and binlog_snapshot_file/position, read in the
// same transaction, is exactly the point it sees; on MySQL, SHOW MASTER STATUS right after it
// (docs/design.md §13.2 says why both are exact).
//
// Chunk keys (SnapshotChunk::last_key) and the SQL bounds built from them and from a message's
// "keys": mysql/snapshot_key.h. A lost connection is retried once, fresh; errors name the table,
// what was being read and the server. Not thread-safe: the snapshot worker's thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "mysql/connection.h"
#include "mysql/information_schema.h"
#include "mysql/snapshot_key.h"
#include "mysql/snapshot_source.h"

namespace mm::mysql {

class SnapshotReader final : public SnapshotSource {
 public:
  explicit SnapshotReader(ConnectionOptions options)
      : options_(options), information_schema_(std::move(options)) {}

  Result<std::vector<binlog::TableName>> listTables(
      const std::vector<std::string>& databases) override;
  Result<SnapshotTable> describe(const binlog::TableName& table) override;
  Result<SnapshotChunk> readChunk(const SnapshotTable& table, std::string_view after,
                                  size_t limit) override;
  Result<SnapshotChunk> readKeys(const SnapshotTable& table,
                                 const std::vector<std::string>& keys_json) override;

 private:
  Status connect();
  Result<SnapshotTable> describeOnce(const binlog::TableName& table);
  // The map of information_schema.COLUMNS `rows` (describeOnce's query) completed by `schema`;
  // keeps the columns' ColumnSql for columnsOf().
  Result<binlog::TableMap> tableMap(const binlog::TableName& table, const std::vector<Row>& rows,
                                    const binlog::TableSchema& schema);
  // The chunk `where` selects (ORDER BY the key, at most `limit` rows when non-zero), read under
  // the watermark rules; errors name the table and `purpose`.
  Result<SnapshotChunk> select(const SnapshotTable& table, const std::string& where, size_t limit,
                               std::string_view purpose);
  // select(), once more on a fresh connection after an Io error (a lost connection).
  Result<SnapshotChunk> selectWithRetry(const SnapshotTable& table, const std::string& where,
                                        size_t limit, std::string_view purpose);
  Status keylessTooLarge(const SnapshotTable& table, size_t limit);
  Result<binlog::Position> highWatermark(bool before_select);
  Status fetchRows(const SnapshotTable& table, const std::string& sql, SnapshotChunk& chunk);
  const std::vector<ColumnSql>& columnsOf(const SnapshotTable& table);

  ConnectionOptions options_;
  InformationSchema information_schema_;
  Connection connection_;
  bool mariadb_ = false;
  std::map<std::string, std::vector<ColumnSql>> columns_;  // by "db.table", from describe()
};

}  // namespace mm::mysql
