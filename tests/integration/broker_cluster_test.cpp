// Issue 19 item 4: the monitor against a three-node RabbitMQ cluster (scripts/services.sh
// cluster-start), its exchange bound to a quorum queue, `[amqp] host` listing the three nodes.
// Under a steady workload the node the monitor is connected to (which also leads the queue) is
// killed and then restarted: the monitor moves to another node, publishes again what was
// unconfirmed, and a consumer of the quorum queue ends with exactly the table.
//
// Skipped unless MM_AMQP_CLUSTER_PORTS (written by cluster-start into the services' env file)
// names the nodes' AMQP ports.
#include <cstdlib>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/amqp_test_consumer.h"
#include "support/consumer_copy.h"
#include "support/live_monitor_test.h"
#include "support/sql_client.h"
#include "support/steady_workload.h"

namespace mm::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kConfirmWindow = 200;

std::vector<int> clusterPorts() {
  std::vector<int> ports;
  const char* text = std::getenv("MM_AMQP_CLUSTER_PORTS");
  std::stringstream list(text != nullptr ? text : "");
  for (std::string port; std::getline(list, port, ',');) {
    ports.push_back(std::stoi(port));
  }
  return ports;
}

class BrokerCluster : public LiveMonitorTest {
 protected:
  void SetUp() override {
    LiveMonitorTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    ports_ = clusterPorts();
    if (ports_.size() != 3) {
      GTEST_SKIP() << "no RabbitMQ cluster: run scripts/services.sh cluster-start (it sets "
                      "MM_AMQP_CLUSTER_PORTS in the env file)";
    }
    queue_ = uniqueName("mm-cluster-q");
    run(fmt::format("CREATE TABLE {}.t (id INT PRIMARY KEY, a INT, b VARCHAR(64)) ENGINE=InnoDB",
                    database_));
    // Declared through node 1 first, the queue's leader is there: killing node 1 takes the
    // monitor's connection and the queue's leader at once. The consumer reads through node 3.
    {
      AmqpTestConsumer declare;
      declare.useQuorumQueue();
      Status declared = declare.connect(env_.mysql_host, ports_[0], env_.amqp_user,
                                        env_.amqp_password, exchange_, "fanout", "#", queue_);
      ASSERT_TRUE(declared.isOk()) << declared.toString();
    }
    consumer_.useQuorumQueue();
    Status status = consumer_.connect(env_.mysql_host, ports_[2], env_.amqp_user,
                                      env_.amqp_password, exchange_, "fanout", "#", queue_);
    ASSERT_TRUE(status.isOk()) << status.toString();
  }

  void TearDown() override {
    LiveMonitorTest::TearDown();
    if (!ports_.empty()) {
      (void)consumer_.deleteQueue();
      if (killed_) {
        runServices("cluster-node-start 1");
      }
    }
  }

  std::vector<int> ports_;
  std::string queue_;
  AmqpTestConsumer consumer_;
  ConsumerCopy copy_{consumer_};
  bool killed_ = false;
};

TEST_F(BrokerCluster, KillingTheNodeTheMonitorUsesLosesNothingOnAQuorumQueue) {
  const std::string nodes =
      fmt::format("127.0.0.1:{},127.0.0.1:{},127.0.0.1:{}", ports_[0], ports_[1], ports_[2]);
  writeConfig({.mysql = "database = " + database_ + "\n",
               .amqp = fmt::format("confirm_window = {}\n", kConfirmWindow),
               .amqp_host = nodes});
  startMonitor();
  const std::string first = fmt::format("publishing to the AMQP broker 127.0.0.1:{}", ports_[0]);
  ASSERT_TRUE(waitFor([&] { return countOf(monitor_.log(), first) == 1; }, 10s))
      << "the monitor did not start on the first node";
  SteadyWorkload workload(env_, database_ + ".t");
  workload.start();
  ASSERT_TRUE(copy_.applyUntilId(20, 20s)) << "nothing arrived through the cluster";

  const int after_kill = workload.nextId() + 2;
  const auto killed_at = Clock::now();
  ASSERT_EQ(runServices("cluster-node-kill 1"), 0);
  killed_ = true;
  const auto moved = [&] {
    const std::string log = monitor_.log();
    return log.find(fmt::format("publishing to the AMQP broker 127.0.0.1:{}", ports_[1])) !=
               std::string::npos ||
           log.find(fmt::format("publishing to the AMQP broker 127.0.0.1:{}", ports_[2])) !=
               std::string::npos;
  };
  ASSERT_TRUE(waitFor(moved, 20s)) << "the monitor did not move to another node";
  ASSERT_TRUE(copy_.applyUntilId(after_kill, 30s))
      << "no change made after the kill arrived through the other nodes";
  const double resumed_s = std::chrono::duration<double>(Clock::now() - killed_at).count();

  ASSERT_EQ(runServices("cluster-node-start 1"), 0) << "node 1 did not come back";
  killed_ = false;
  ASSERT_TRUE(copy_.applyUntilId(workload.nextId(), 30s));
  workload.stop();
  ASSERT_EQ(workload.error(), "");
  EXPECT_EQ(copy_.drainAndCompare(sql_, database_ + ".t"), "")
      << "the quorum queue's consumer differs from the table";
  EXPECT_FALSE(monitor_.exited().has_value()) << "the monitor stopped";
  EXPECT_LE(copy_.applied().duplicates(), static_cast<uint64_t>(kConfirmWindow))
      << "more duplicates than the confirm window";
  std::cout << "[ figures  ] node killed -> a later change consumed: " << resumed_s << " s; "
            << copy_.applied().rowMessages() << " row messages, " << copy_.applied().duplicates()
            << " duplicates" << std::endl;
}

}  // namespace
}  // namespace mm::test
