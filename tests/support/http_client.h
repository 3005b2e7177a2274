// Test-side HTTP: one GET over a fresh connection to 127.0.0.1, for the metrics endpoints, and a
// free local port for a server under test to listen on.
#pragma once

#include <string>

namespace mm::test {

struct HttpReply {
  int status = 0;  // 0 = no answer (connection refused, timeout, garbled status line)
  std::string body;
};

HttpReply httpGet(int port, const std::string& path);

// A TCP port on 127.0.0.1 that nothing listens on right now (bound and released).
int freeLocalPort();

}  // namespace mm::test
