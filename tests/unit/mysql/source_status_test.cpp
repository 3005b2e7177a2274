// binlogExpirySeconds: which server variable decides when binlogs are purged automatically.
#include "mysql/source_status.h"

#include <gtest/gtest.h>

namespace mm::mysql {
namespace {

TEST(BinlogExpirySeconds, SecondsWinOverDays) {
  EXPECT_EQ(
      binlogExpirySeconds({{"binlog_expire_logs_seconds", "3600"}, {"expire_logs_days", "7"}}),
      3600);
}

TEST(BinlogExpirySeconds, DaysWhenSecondsAreZeroOrAbsent) {
  EXPECT_EQ(binlogExpirySeconds({{"binlog_expire_logs_seconds", "0"}, {"expire_logs_days", "2"}}),
            2 * 86400);
  EXPECT_EQ(binlogExpirySeconds({{"expire_logs_days", "0.5"}}), 43200);  // MariaDB allows fractions
}

TEST(BinlogExpirySeconds, ZeroMeansNeverPurged) {
  EXPECT_EQ(binlogExpirySeconds({{"binlog_expire_logs_seconds", "0"}, {"expire_logs_days", "0"}}),
            0);
  EXPECT_EQ(binlogExpirySeconds({}), 0);
}

TEST(BinlogExpirySeconds, AutoPurgeOffMeansNeverPurged) {
  EXPECT_EQ(binlogExpirySeconds({{"binlog_expire_logs_seconds", "2592000"},
                                 {"binlog_expire_logs_auto_purge", "OFF"}}),
            0);
  EXPECT_EQ(binlogExpirySeconds({{"binlog_expire_logs_seconds", "2592000"},
                                 {"binlog_expire_logs_auto_purge", "ON"}}),
            2592000);
}

}  // namespace
}  // namespace mm::mysql
