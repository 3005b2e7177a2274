// TcpProxy: a TCP forwarder owned by a test, for injecting network faults between the monitor and
// a server. Listens on 127.0.0.1 (an ephemeral port) and relays each accepted connection to the
// target. dropConnections() resets every relayed connection at once (a broker or network failure
// as the client sees it); setStalled(true) stops moving bytes in both directions while keeping the
// connections open (a black-holed link: only heartbeats can notice it); setRefusing(true) resets
// every connection and every new one at once (a server that is down). One thread; the methods are
// thread-safe.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"

namespace mm::test {

class TcpProxy {
 public:
  ~TcpProxy();

  Status start(const std::string& target_host, int target_port);
  int port() const { return port_; }

  void dropConnections();
  void setStalled(bool stalled);
  void setRefusing(bool refusing);
  // Connections accepted so far.
  int accepted() const { return accepted_; }

 private:
  void loop(std::stop_token stop);
  void wake();

  std::string target_host_;
  int target_port_ = 0;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  int port_ = 0;
  std::atomic<bool> stalled_{false};
  std::atomic<bool> refusing_{false};
  std::atomic<bool> drop_requested_{false};
  std::atomic<int> accepted_{0};
  std::jthread thread_;
};

}  // namespace mm::test
