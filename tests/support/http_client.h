// Test-side HTTP: one GET over a fresh connection to 127.0.0.1, for the metrics endpoints, a free
// local port for a server under test to listen on, and the hostile clients of issue 16 item 9.
#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace mm::test {

struct HttpReply {
  int status = 0;  // 0 = no answer (connection refused, timeout, garbled status line)
  std::string body;
};

HttpReply httpGet(int port, const std::string& path);

// A TCP port on 127.0.0.1 that nothing listens on right now (bound and released).
int freeLocalPort();

// A connected TCP socket to 127.0.0.1:port (5 s receive timeout), -1 when refused.
int connectLocal(int port);

// What starved the old metrics server (issue 16 item 9): `idle` connections to 127.0.0.1:port held
// open (half silent, half with a request head begun and never ended), each opened again as soon as
// the server drops it, and a slowloris that sends one byte of an endless head every 200 ms and
// reconnects when dropped. Runs on two threads from construction to destruction. Needs about
// `idle` + 16 descriptors (raise RLIMIT_NOFILE first).
class HostileHttpClients {
 public:
  HostileHttpClients(int port, size_t idle);
  ~HostileHttpClients();
  HostileHttpClients(const HostileHttpClients&) = delete;
  HostileHttpClients& operator=(const HostileHttpClients&) = delete;

  // Idle connections that could not be opened at construction (0 when all were).
  size_t refusedAtStart() const { return refused_at_start_; }
  // Idle connections opened again after the server dropped them.
  int reconnects() const { return reconnects_; }
  // Connections the slowloris opened (1 = never dropped).
  int slowlorisConnections() const { return slowloris_connections_; }

 private:
  int openIdle(size_t i) const;

  int port_;
  std::vector<int> idle_;
  size_t refused_at_start_ = 0;
  std::atomic<int> reconnects_{0};
  std::atomic<int> slowloris_connections_{0};
  std::jthread holder_;
  std::jthread slowloris_;
};

}  // namespace mm::test
