// GTID sets: which transactions a stream has already seen, in the two servers' dialects.
//
// MySQL: a set of GNO intervals per server UUID (and tag, 8.3+), text as @@gtid_executed prints it:
//   "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7,4f...:1-3:mytag:1-2"
// MariaDB: the last GTID of each replication domain, text as @@gtid_binlog_pos prints it:
//   "0-1-100,1-2-5"
// GtidState holds either (or nothing yet: unknown) and follows a stream: the set in a file's
// PREVIOUS_GTIDS / GTID_LIST event, then each transaction's GTID once the transaction ends. Its
// text is what the checkpoint stores and what a GTID resume sends to the server
// (COM_BINLOG_DUMP_GTID data, or MariaDB's @slave_connect_state). Pure: no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "binlog/gtid_events.h"
#include "common/status.h"

namespace mm::binlog {

class MysqlGtidSet {
 public:
  // Accepts @@gtid_executed's text (entries separated by ',', whitespace ignored). Errors name the
  // offending entry.
  static Result<MysqlGtidSet> parse(std::string_view text);
  static MysqlGtidSet fromPrevious(const PreviousGtidsEvent& event);

  void add(const Uuid& sid, const std::string& tag, int64_t gno);
  bool contains(const Uuid& sid, const std::string& tag, int64_t gno) const;
  void merge(const MysqlGtidSet& other);
  bool empty() const { return intervals_.empty(); }
  std::string text() const;
  // The set in COM_BINLOG_DUMP_GTID's encoding (docs/binlog-format.md §5.4, §2.6). Tagged GTIDs
  // have no confirmed request encoding: Unsupported.
  Result<std::string> dumpEncoding() const;

  bool operator==(const MysqlGtidSet&) const = default;

 private:
  using Key = std::pair<Uuid, std::string>;                    // server UUID, tag ("" untagged)
  using Intervals = std::vector<std::pair<int64_t, int64_t>>;  // sorted, disjoint, [start, end)
  void addInterval(const Key& key, int64_t start, int64_t end);

  std::map<Key, Intervals> intervals_;
};

class MariadbGtidPos {
 public:
  // "D-S-N[,D-S-N...]", at most one GTID per domain.
  static Result<MariadbGtidPos> parse(std::string_view text);
  static MariadbGtidPos fromList(const MariadbGtidListEvent& event);

  void add(const MariadbGtid& gtid) { last_[gtid.domain_id] = gtid; }
  // Adds the GTIDs of domains this position has none of.
  void addMissingDomains(const MariadbGtidPos& other);
  bool empty() const { return last_.empty(); }
  std::string text() const;  // by domain id
  void appendText(std::string& out) const;

  bool operator==(const MariadbGtidPos&) const = default;

 private:
  std::map<uint32_t, MariadbGtid> last_;
};

enum class GtidDialect { Unknown, Mysql, Mariadb };

class GtidState {
 public:
  GtidState() = default;
  // "" is Unknown; text with ':' is MySQL's form, else MariaDB's.
  static Result<GtidState> parse(std::string_view text);

  GtidDialect dialect() const;
  bool known() const { return dialect() != GtidDialect::Unknown; }
  std::string text() const;  // "" when unknown
  // text() into `out`, whose buffer is reused (the reader writes it once per transaction).
  void writeText(std::string& out) const;
  const MysqlGtidSet* mysql() const { return std::get_if<MysqlGtidSet>(&set_); }

  // Replaces the state (a start point).
  void reset(MysqlGtidSet set) { set_ = std::move(set); }
  void reset(MariadbGtidPos pos) { set_ = std::move(pos); }
  // GTIDs known to be executed already: a file's PREVIOUS_GTIDS / GTID_LIST, which describe the
  // file's start and so may be older than the state (a GTID connect streams from the start of the
  // file that holds the requested GTID). They become the state when it is unknown; otherwise they
  // only fill in what it lacks (MySQL: the union; MariaDB: domains it has no GTID of).
  void learn(const MysqlGtidSet& set);
  void learn(const MariadbGtidPos& pos);
  // A transaction with this GTID ended. Joins a known state only: one GTID says nothing of the
  // other server UUIDs or domains, and a partial state would make a GTID resume re-read or skip
  // them.
  void add(const MysqlGtidEvent& gtid);
  void add(const MariadbGtid& gtid);

  bool operator==(const GtidState&) const = default;

 private:
  std::variant<std::monostate, MysqlGtidSet, MariadbGtidPos> set_;
};

}  // namespace mm::binlog
