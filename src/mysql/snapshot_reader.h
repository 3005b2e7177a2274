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
// Chunk keys (SnapshotChunk::last_key): each key column's value as text (numbers, temporals) or
// raw bytes (strings), hex-encoded after an 'x', joined by ','. The bound is rebuilt as SQL
// literals the server compares as ORDER BY orders: strings with the column's own charset and
// collation. Not thread-safe: the snapshot worker's thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "mysql/connection.h"
#include "mysql/information_schema.h"
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

  // What SQL needs besides the map: per column its charset and collation names ("" for none).
  struct ColumnSql {
    std::string name;
    std::string charset;
    std::string collation;
  };

 private:
  Status connect();
  // The chunk `where` selects (ORDER BY the key, at most `limit` rows when non-zero), read under
  // the watermark rules.
  Result<SnapshotChunk> select(const SnapshotTable& table, const std::string& where, size_t limit);
  Result<binlog::Position> highWatermark(bool before_select);
  Status fetchRows(const SnapshotTable& table, const std::string& sql, SnapshotChunk& chunk);
  const std::vector<ColumnSql>& columnsOf(const SnapshotTable& table);

  ConnectionOptions options_;
  InformationSchema information_schema_;
  Connection connection_;
  bool mariadb_ = false;
  std::map<std::string, std::vector<ColumnSql>> columns_;  // by "db.table", from describe()
};

// The SQL literal of one key value for `column` from its text form (hex-decoded key text, or a
// value of a message's "keys" when `from_json_text`: temporals with 'T' and 'Z', binary base64).
// InvalidArgument when the text does not fit the column. Exposed for tests.
Result<std::string> keyLiteral(const binlog::TableMapColumn& column,
                               const SnapshotReader::ColumnSql& sql, std::string_view text);

}  // namespace mm::mysql
