// Transaction boundaries from SHOW BINLOG EVENTS (mysql/transaction_start.h), as MariaDB 10.11 and
// MySQL 8 list them.
#include "mysql/transaction_start.h"

#include <gtest/gtest.h>

namespace mm::mysql {
namespace {

uint64_t startBefore(const std::vector<ListedEvent>& events, uint64_t inside) {
  TransactionBoundaries boundaries;
  for (const ListedEvent& e : events) {
    if (e.pos >= inside) {
      break;
    }
    boundaries.add(e);
  }
  return boundaries.lastStart();
}

// MariaDB: a DDL, then an autocommit insert of two rows events, then a transaction.
const std::vector<ListedEvent> kMariadb = {
    {4, "Format_desc", 256, "Server ver: 10.11.19-MariaDB-log, Binlog ver: 4"},
    {256, "Gtid_list", 299, "[0-1-41]"},
    {299, "Binlog_checkpoint", 343, "binlog.000014"},
    {343, "Gtid", 385, "GTID 0-1-42"},
    {385, "Query", 500, "CREATE TABLE t (id INT PRIMARY KEY)"},
    {500, "Gtid", 542, "BEGIN GTID 0-1-43"},
    {542, "Annotate_rows", 600, "INSERT INTO t VALUES (1), (2)"},
    {600, "Table_map", 650, "table_id: 18 (db.t)"},
    {650, "Write_rows_v1", 700, "table_id: 18 flags: STMT_END_F"},
    {700, "Xid", 731, "COMMIT /* xid=9 */"},
    {731, "Gtid", 773, "BEGIN GTID 0-1-44"},
    {773, "Table_map", 823, "table_id: 18 (db.t)"},
    {823, "Write_rows_v1", 873, "table_id: 18 flags: STMT_END_F"},
    {873, "Table_map", 923, "table_id: 18 (db.t)"},
    {923, "Update_rows_v1", 980, "table_id: 18 flags: STMT_END_F"},
    {980, "Xid", 1011, "COMMIT /* xid=10 */"},
};

TEST(TransactionBoundaries, APositionInsideATransactionGoesBackToItsStart) {
  EXPECT_EQ(startBefore(kMariadb, 700), 500u);  // after the first transaction's rows event
  EXPECT_EQ(startBefore(kMariadb, 873), 731u);  // after the second's first rows event
  EXPECT_EQ(startBefore(kMariadb, 980), 731u);  // after its last one
}

TEST(TransactionBoundaries, APositionBetweenTransactionsStaysThere) {
  EXPECT_EQ(startBefore(kMariadb, 500), 500u);
  EXPECT_EQ(startBefore(kMariadb, 1011), 1011u);
  EXPECT_EQ(startBefore(kMariadb, 343), 4u);  // nothing ended yet: the file's start
}

TEST(TransactionBoundaries, MysqlAndNonTransactionalTablesUseBeginAndCommitQueries) {
  const std::vector<ListedEvent> events = {
      {4, "Format_desc", 126, ""},
      {126, "Previous_gtids", 157, ""},
      {157, "Anonymous_Gtid", 236, "SET @@SESSION.GTID_NEXT= 'ANONYMOUS'"},
      {236, "Query", 311, "BEGIN"},
      {311, "Table_map", 360, ""},
      {360, "Write_rows", 400, ""},
      {400, "Query", 475, "COMMIT"},
      {475, "Gtid", 554, "SET @@SESSION.GTID_NEXT= '3e11fa47-71ca-11e1-9e33-c80aa9429562:5'"},
      {554, "Query", 629, "BEGIN"},
      {629, "Table_map", 678, ""},
      {678, "Delete_rows", 720, ""},
      {720, "Xid", 751, "COMMIT /* xid=12 */"},
  };
  EXPECT_EQ(startBefore(events, 400), 4u);
  EXPECT_EQ(startBefore(events, 720), 475u);
  EXPECT_EQ(startBefore(events, 751), 751u);
}

}  // namespace
}  // namespace mm::mysql
