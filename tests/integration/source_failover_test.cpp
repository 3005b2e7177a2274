// Issue 19 item 3: the source fails over to a real replica. scripts/services.sh replica-start runs
// a second MariaDB as a GTID replica of the first (log_slave_updates); the monitor lists both in
// `[mysql] host` with resume_by = gtid. Under a steady workload the primary is killed (kill -9),
// the replica promoted (STOP SLAVE; RESET SLAVE ALL; read-write) and written to: every change on
// the promoted server is published, in order, and a consumer applying the messages ends with
// exactly the promoted server's table.
//
// The kill falls between two transactions once the replica holds them all: a transaction the
// primary committed but never sent is lost to the new primary (asynchronous replication, README
// "A replicated source"), and a monitor that already published it cannot continue by GTID; the
// second test makes that case and requires the monitor to stop, naming it. The third reads the
// replica itself (the README's remedy for that loss), which stays its server across the promotion.
#include <cstdlib>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/amqp_test_consumer.h"
#include "support/consumer_copy.h"
#include "support/http_client.h"
#include "support/live_monitor_test.h"
#include "support/sql_client.h"
#include "support/steady_workload.h"

namespace mm::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class SourceFailover : public LiveMonitorTest {
 protected:
  void SetUp() override {
    LiveMonitorTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    ASSERT_EQ(runServices("replica-start"), 0) << "scripts/services.sh replica-start failed";
    replica_env_ = env_;
    // scripts/services.sh select_replica(): below Linux's ephemeral port range when it can be.
    replica_env_.mysql_port =
        env_.mysql_port - 10000 + 1 > 1024 ? env_.mysql_port - 10000 + 1 : env_.mysql_port + 1;
    if (const char* port = std::getenv("MM_MYSQL_REPLICA_PORT")) {
      replica_env_.mysql_port = std::atoi(port);
    }
    ASSERT_TRUE(connectAdmin(replica_env_, replica_).isOk());
    // The replica follows the primary from now on: the test's schema, made before, is made there
    // by hand (outside its binlog), its table by replication.
    exec(replica_, "SET SESSION sql_log_bin = 0");
    exec(replica_, fmt::format("CREATE DATABASE IF NOT EXISTS {}", database_));
    run(fmt::format("CREATE TABLE {}.t (id INT PRIMARY KEY, a INT, b VARCHAR(64)) ENGINE=InnoDB",
                    database_));
    queue_ = uniqueName("mm-failover-q");
    Status status = consumer_.connect(env_.amqp_host, env_.amqp_port, env_.amqp_user,
                                      env_.amqp_password, exchange_, "fanout", "#", queue_);
    ASSERT_TRUE(status.isOk()) << status.toString();
  }

  void TearDown() override {
    if (killed_) {
      // The old primary back (start restarts what is down), for the tests after this one.
      EXPECT_EQ(runServices("start"), 0);
      (void)connectAdmin(env_, sql_);
    }
    LiveMonitorTest::TearDown();
    (void)consumer_.deleteQueue();
    replica_.close();
    runServices("replica-stop");
  }

  static void exec(mysql::Connection& connection, const std::string& sql) {
    Status status = connection.execute(sql);
    ASSERT_TRUE(status.isOk()) << sql << ": " << status.toString();
  }

  // The monitor's configuration: `hosts` in [mysql] host, resuming by GTID, started by the GTID
  // set of `first` (the server it reads first), so it knows the set from its first event. Started
  // at `current`, it once got none from BINLOG_GTID_POS in CI (cause not found), reconnected by
  // position and stopped at the other server, as it must without a set
  // (docs/high-availability.md, limits).
  void configureMonitor(mysql::Connection& first, const std::string& hosts) {
    auto gtids = first.query("SELECT @@gtid_binlog_pos");
    ASSERT_TRUE(gtids.isOk() && !gtids->empty() && (*gtids)[0][0]);
    writeConfig({.mysql = fmt::format("database = {}\nresume_by = gtid\nstart_position = {}\n",
                                      database_, *(*gtids)[0][0])});
    monitor_.environment()["MYSQL_MONITOR_MYSQL_HOST"] = hosts;
  }

  // Both servers, the primary first: a source failover moves the monitor to the replica.
  void configureBothServers() {
    configureMonitor(sql_, fmt::format("{}:{},{}:{}", env_.mysql_host, env_.mysql_port,
                                       env_.mysql_host, replica_env_.mysql_port));
  }

  // Only the replica (README "A replicated source": the way to publish nothing the server that
  // survives lacks).
  void configureReplicaOnly() {
    configureMonitor(replica_, fmt::format("{}:{}", env_.mysql_host, replica_env_.mysql_port));
  }

  // kill -9 the primary, then promote the replica as README "A replicated source" does.
  void killPrimaryAndPromoteReplica() {
    ASSERT_EQ(runServices("mysql-kill"), 0);
    killed_ = true;
    exec(replica_, "STOP SLAVE");
    exec(replica_, "RESET SLAVE ALL");
    exec(replica_, "SET GLOBAL read_only = 0");
  }

  // Waits until the replica has applied every transaction the primary logged. MASTER_GTID_WAIT
  // returns as soon as it has: the minute is only a bound for a loaded CI machine.
  bool replicaCaughtUp() {
    auto primary = sql_.query("SELECT @@gtid_binlog_pos");
    if (!primary.isOk() || primary->empty() || !(*primary)[0][0]) {
      return false;
    }
    auto waited =
        replica_.query(fmt::format("SELECT MASTER_GTID_WAIT('{}', 60)", *(*primary)[0][0]));
    return waited.isOk() && !waited->empty() && (*waited)[0][0] == std::optional<std::string>("0");
  }

  ServerEnvironment replica_env_;
  mysql::Connection replica_;
  std::string queue_;
  AmqpTestConsumer consumer_;
  ConsumerCopy copy_{consumer_};
  bool killed_ = false;
};

TEST_F(SourceFailover, APromotedReplicaIsFollowedAndEveryChangeOnItIsPublished) {
  ASSERT_NO_FATAL_FAILURE(configureBothServers());
  const int metrics_port = freeLocalPort();
  ASSERT_GT(metrics_port, 0);
  monitor_.environment()["MYSQL_MONITOR_METRICS_LISTEN"] =
      fmt::format("127.0.0.1:{}", metrics_port);
  // The source_server sample of `port`, as /metrics shows it ("...} 1"), or "" when absent.
  const auto server_sample = [&](int port) {
    const std::string text = httpGet(metrics_port, "/metrics").body;
    const std::string name =
        fmt::format("mysql_monitor_source_server{{server=\"{}:{}\"}} ", env_.mysql_host, port);
    const size_t at = text.find(name);
    return at == std::string::npos ? std::string() : text.substr(at, text.find('\n', at) - at);
  };
  startMonitor();
  auto before = std::make_unique<SteadyWorkload>(env_, database_ + ".t");
  before->start();
  ASSERT_TRUE(copy_.applyUntilId(100, 20s)) << "nothing published from the primary";
  before->stop();
  ASSERT_EQ(before->error(), "");
  EXPECT_TRUE(server_sample(env_.mysql_port).ends_with("} 1"))
      << "the source_server metric does not name the primary in use: "
      << server_sample(env_.mysql_port);
  ASSERT_TRUE(replicaCaughtUp()) << "the replica did not catch up with the primary";

  const auto killed_at = Clock::now();
  ASSERT_NO_FATAL_FAILURE(killPrimaryAndPromoteReplica());
  SteadyWorkload after(env_, database_ + ".t", replica_env_.mysql_port, before->nextId());
  after.start();
  const int first_on_replica = before->nextId();
  ASSERT_TRUE(copy_.applyUntilId(first_on_replica + 20, 30s))
      << "no change written to the promoted replica was published";
  const double followed_s = std::chrono::duration<double>(Clock::now() - killed_at).count();
  EXPECT_NE(monitor_.log().find(fmt::format("MySQL server {}:{} answers", env_.mysql_host,
                                            replica_env_.mysql_port)),
            std::string::npos)
      << "the monitor did not say it moved to the replica";
  EXPECT_TRUE(server_sample(replica_env_.mysql_port).ends_with("} 1") &&
              server_sample(env_.mysql_port).ends_with("} 0"))
      << "the source_server metric does not name the promoted replica: "
      << server_sample(replica_env_.mysql_port) << " / " << server_sample(env_.mysql_port);
  std::this_thread::sleep_for(1s);
  after.stop();
  ASSERT_EQ(after.error(), "");
  EXPECT_EQ(copy_.drainAndCompare(replica_, database_ + ".t"), "")
      << "the consumer's copy differs from the promoted server's table";
  EXPECT_FALSE(monitor_.exited().has_value()) << "the monitor stopped";
  std::cout << "[ figures  ] primary killed -> a change on the promoted replica consumed: "
            << followed_s << " s; " << copy_.applied().rowMessages() << " row messages, "
            << copy_.applied().duplicates() << " duplicates" << std::endl;
}

// The remedy the README gives for that loss: the monitor reads the replica that gets promoted, so
// it publishes only what that server holds and a promotion is no source failover at all: the
// monitor stays on its server, and the changes written before and after the promotion all arrive.
TEST_F(SourceFailover, AMonitorReadingTheReplicaGoesOnAcrossItsPromotion) {
  ASSERT_NO_FATAL_FAILURE(configureReplicaOnly());
  startMonitor();
  SteadyWorkload before(env_, database_ + ".t");
  before.start();
  ASSERT_TRUE(copy_.applyUntilId(100, 20s)) << "nothing written to the primary was published";
  before.stop();
  ASSERT_EQ(before.error(), "");
  ASSERT_TRUE(replicaCaughtUp()) << "the replica did not catch up with the primary";
  ASSERT_NO_FATAL_FAILURE(killPrimaryAndPromoteReplica());
  SteadyWorkload after(env_, database_ + ".t", replica_env_.mysql_port, before.nextId());
  after.start();
  ASSERT_TRUE(copy_.applyUntilId(before.nextId() + 20, 30s))
      << "no change written to the promoted replica was published";
  after.stop();
  ASSERT_EQ(after.error(), "");
  EXPECT_EQ(copy_.drainAndCompare(replica_, database_ + ".t"), "")
      << "the consumer's copy differs from the promoted server's table";
  EXPECT_FALSE(monitor_.exited().has_value()) << "the monitor stopped:\n" << monitor_.log();
  EXPECT_EQ(monitor_.log().find("answers ("), std::string::npos)
      << "the monitor changed servers, though its own was promoted:\n"
      << monitor_.log();
}

// Asynchronous replication's loss, made on purpose: the replica stops applying, the primary
// commits a change the monitor publishes, and the primary dies. The promoted replica never had
// that change, so its history is not the one published: the monitor must not go on as if it were
// (nor skip to the current position), but stop and say so.
TEST_F(SourceFailover, APromotedReplicaLackingAPublishedChangeIsRefusedByName) {
  ASSERT_NO_FATAL_FAILURE(configureBothServers());
  startMonitor();
  run(fmt::format("INSERT INTO {}.t VALUES (1, 1, 'both have it')", database_));
  ASSERT_TRUE(copy_.applyUntilId(1, 20s));
  ASSERT_TRUE(replicaCaughtUp());
  exec(replica_, "STOP SLAVE");
  run(fmt::format("INSERT INTO {}.t VALUES (2, 2, 'only the primary has it')", database_));
  ASSERT_TRUE(copy_.applyUntilId(2, 20s)) << "the change was not published";
  // (The replica is stopped already: STOP SLAVE again only notes it.)
  ASSERT_NO_FATAL_FAILURE(killPrimaryAndPromoteReplica());
  exec(replica_, fmt::format("INSERT INTO {}.t VALUES (3, 3, 'after the failover')", database_));
  std::optional<int> exit_code;
  ASSERT_TRUE(waitFor([&] { return (exit_code = monitor_.exited()).has_value(); }, 60s))
      << "the monitor went on with a server that lacks a change it published:\n"
      << monitor_.log();
  EXPECT_EQ(exit_code, std::optional<int>(1)) << "refused for good: exit 1";
  EXPECT_NE(monitor_.log().find("this server's binlog lacks a transaction the monitor already "
                                "published"),
            std::string::npos)
      << monitor_.log();
  // Nothing of the diverged history went out.
  EXPECT_FALSE(copy_.applyUntilId(3, 2s)) << "the change made after the failover was published";
}

}  // namespace
}  // namespace mm::test
