// The metrics HTTP server (libmicrohttpd) over real sockets: the response, slow and silent clients
// do not hold up others, 1,000 idle connections and a reconnecting slowloris do not delay a probe
// (issue 16 item 9), oversized and malformed requests get their error, stop() is prompt.
#include "metrics/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/eventually.h"
#include "support/http_client.h"

namespace mm::metrics {
namespace {

using namespace std::chrono_literals;

// A blocking client socket to 127.0.0.1:port with a receive timeout.
int connectTo(int port) { return test::connectLocal(port); }

// Whether the server sent something (or closed) on `fd` within `limit`.
bool readable(int fd, std::chrono::milliseconds limit) {
  pollfd watch{fd, POLLIN, 0};
  return ::poll(&watch, 1, static_cast<int>(limit.count())) > 0;
}

void sendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      return;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// Everything the server sends until it closes (or 5 s pass).
std::string readAll(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) {
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

std::string exchange(int port, std::string_view request) {
  const int fd = connectTo(port);
  if (fd < 0) {
    return "connect failed";
  }
  sendAll(fd, request);
  std::string reply = readAll(fd);
  ::close(fd);
  return reply;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.port = 0;
    options.max_request_bytes = 1024;
    options.client_timeout = 1500ms;
    options.tick = 50ms;
    server_ = std::make_unique<HttpServer>(
        options,
        [](const HttpRequest& request) {
          HttpResponse response;
          response.body = request.method + " " + request.path;
          return response;
        },
        [this] {
          std::lock_guard lock(ticks_mutex_);
          ++ticks_;
          ticked_.notify_all();
        });
    const Status status = server_->start();
    ASSERT_TRUE(status.isOk()) << status.toString();
    ASSERT_GT(server_->port(), 0);
  }

  std::mutex ticks_mutex_;
  std::condition_variable ticked_;
  int ticks_ = 0;  // guarded by ticks_mutex_
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, AnswersAndCloses) {
  const auto started = std::chrono::steady_clock::now();
  const std::string reply = exchange(server_->port(), "GET /metrics?x HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s)
      << "the server did not close after answering";
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << reply;
  for (const char* header : {"\r\nContent-Type: text/plain; charset=utf-8\r\n",
                             "\r\nContent-Length: 12\r\n", "\r\nConnection: close\r\n"}) {
    EXPECT_NE(reply.find(header), std::string::npos) << header << " in\n" << reply;
  }
  EXPECT_TRUE(reply.ends_with("\r\n\r\nGET /metrics")) << reply;
}

TEST_F(HttpServerTest, AHeadRequestGetsTheHeadersOnly) {
  const std::string reply = exchange(server_->port(), "HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << reply;
  EXPECT_TRUE(reply.ends_with("\r\n\r\n")) << reply;
}

TEST_F(HttpServerTest, ARequestInPiecesIsAnsweredOnceComplete) {
  const int fd = connectTo(server_->port());
  ASSERT_GE(fd, 0);
  for (const char* piece : {"GE", "T /he", "althz HTTP/1.1\r", "\nHost: t\r\n"}) {
    sendAll(fd, piece);
    // Each piece reaches the server on its own while the test waits for its (premature) answer.
    EXPECT_FALSE(readable(fd, 20ms)) << "answered before the head was complete";
  }
  sendAll(fd, "\r\n");
  EXPECT_NE(readAll(fd).find("\r\n\r\nGET /healthz"), std::string::npos);
  ::close(fd);
}

TEST_F(HttpServerTest, MalformedRequestGets400) {
  for (const char* request :
       {"GET /metrics HTTP/1.1 extra\r\n\r\n", "GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n"}) {
    const std::string reply = exchange(server_->port(), request);
    EXPECT_EQ(reply.rfind("HTTP/1.1 400 ", 0), 0u) << request << " got\n" << reply;
  }
}

TEST_F(HttpServerTest, ALineWithoutATargetIsClosedAtOnceWithoutAnAnswer) {
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(exchange(server_->port(), "HELLO\r\n\r\n"), "");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

TEST_F(HttpServerTest, OversizedHeadGets431) {
  const std::string request = "GET /metrics HTTP/1.1\r\nX-Filler: " + std::string(9000, 'a');
  const std::string reply = exchange(server_->port(), request);
  EXPECT_EQ(reply.rfind("HTTP/1.1 431 ", 0), 0u) << reply.substr(0, 100);
}

TEST_F(HttpServerTest, SilentClientsDoNotHoldUpOthersAndAreDroppedAfterTheTimeout) {
  const int silent = connectTo(server_->port());
  const int half = connectTo(server_->port());
  ASSERT_GE(silent, 0);
  ASSERT_GE(half, 0);
  sendAll(half, "GET /metrics HTTP/1.1\r\n");  // and never the end of the head
  const auto started = std::chrono::steady_clock::now();
  EXPECT_NE(exchange(server_->port(), "GET /readyz HTTP/1.1\r\n\r\n").find("GET /readyz"),
            std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  // The silent ones are closed by the server (recv returns 0) after client_timeout.
  EXPECT_EQ(readAll(silent), "");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);
  ::close(silent);
  ::close(half);
}

TEST_F(HttpServerTest, ManyConcurrentClientsAreAllAnswered) {
  std::vector<int> fds;
  for (int i = 0; i < 20; ++i) {
    fds.push_back(connectTo(server_->port()));
    ASSERT_GE(fds.back(), 0);
  }
  for (int fd : fds) {
    sendAll(fd, "GET /x HTTP/1.1\r\n\r\n");
  }
  for (int fd : fds) {
    EXPECT_NE(readAll(fd).find("GET /x"), std::string::npos);
    ::close(fd);
  }
}

TEST_F(HttpServerTest, TicksWhileIdle) {
  std::unique_lock lock(ticks_mutex_);
  EXPECT_TRUE(ticked_.wait_for(lock, 5s, [&] { return ticks_ >= 2; }))
      << "ticked " << ticks_ << " times in 5 s, every 50 ms asked";
}

TEST_F(HttpServerTest, StopIsPromptWithAClientConnected) {
  const int fd = connectTo(server_->port());
  ASSERT_GE(fd, 0);
  const auto started = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 500ms);
  EXPECT_EQ(readAll(fd), "");
  ::close(fd);
  EXPECT_EQ(connectTo(server_->port()), -1) << "no longer listening";
}

TEST_F(HttpServerTest, APortInUseIsAnErrorNamingTheAddress) {
  HttpServerOptions options;
  options.port = server_->port();
  HttpServer second(options, [](const HttpRequest&) { return HttpResponse{}; });
  const Status status = second.start();
  EXPECT_EQ(status.code(), StatusCode::Io);
  EXPECT_NE(status.message().find(fmt::format(
                "cannot listen on 127.0.0.1:{}: Address already in use", server_->port())),
            std::string::npos)
      << status.message();
}

TEST(HttpServer, BeyondMaxConnectionsClientsWaitInTheBacklogUntilASlotFrees) {
  HttpServerOptions options;
  options.port = 0;
  options.max_connections = 2;
  options.client_timeout = 500ms;
  HttpServer server(options, [](const HttpRequest&) {
    return HttpResponse{200, "text/plain", "hi", ""};
  });
  ASSERT_TRUE(server.start().isOk());
  const int silent_a = connectTo(server.port());
  const int silent_b = connectTo(server.port());
  // Both taken by the server: no slot left.
  ASSERT_TRUE(test::eventually([&] { return server.openConnections() == 2; }));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_NE(exchange(server.port(), "GET / HTTP/1.1\r\n\r\n").find("\r\n\r\nhi"),
            std::string::npos);
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, 300ms) << "answered only once a silent client timed out";
  EXPECT_LT(waited, 3s);
  ::close(silent_a);
  ::close(silent_b);
}

// Issue 16 item 9: 1,000 connections held open (reconnected whenever the server drops one, half of
// them silent, half with a request head begun and never ended) and a slowloris that sends a byte
// every 200 ms and reconnects when dropped: every /healthz probe is answered within 1 s, with the
// server's default limits and a 1 s client timeout, so drop-and-reconnect waves happen during the
// probes. The figures go to stdout.
TEST(HttpServer, HealthProbesAreAnsweredWithinASecondUnderAThousandIdleConnectionsAndASlowloris) {
  constexpr size_t kIdle = 1000;
  // Both ends of every connection live in this process.
  if (raiseOpenFileLimit() < 2 * kIdle + 256) {
    GTEST_SKIP() << "the open-file limit cannot be raised to " << 2 * kIdle + 256
                 << " (ulimit -Hn)";
  }
  HttpServerOptions options;  // the production limits
  options.port = 0;
  options.client_timeout = 1000ms;
  HttpServer server(options, [](const HttpRequest& request) {
    HttpResponse response;
    response.body = request.path == "/healthz" ? "ok\n" : "other\n";
    return response;
  });
  ASSERT_TRUE(server.start().isOk());
  EXPECT_GE(server.maxConnections(), kIdle + 16)
      << "the default limit does not hold the idle clients";
  const int port = server.port();

  std::optional<test::HostileHttpClients> hostile;
  hostile.emplace(port, kIdle);
  ASSERT_EQ(hostile->refusedAtStart(), 0u);
  std::vector<double> latencies_ms;
  // Probes back to back until the server dropped idle connections (past the 1 s timeout), then
  // for 400 ms more (and at least 14 probes), through the wave of reconnects that follows.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  std::optional<std::chrono::steady_clock::time_point> wave_seen;
  int probes_in_wave = 0;
  for (int probe = 0;
       probes_in_wave < 14 || !wave_seen || std::chrono::steady_clock::now() - *wave_seen < 400ms;
       ++probe) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no reconnect wave in 10 s";
    const bool in_wave = hostile->reconnects() > 0;
    if (in_wave && !wave_seen) {
      wave_seen = std::chrono::steady_clock::now();
    }
    const auto started = std::chrono::steady_clock::now();
    const std::string reply = exchange(port, "GET /healthz HTTP/1.1\r\nHost: probe\r\n\r\n");
    const auto took = std::chrono::steady_clock::now() - started;
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(took).count());
    ASSERT_EQ(reply.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << "probe " << probe << ": " << reply;
    ASSERT_TRUE(reply.ends_with("\r\n\r\nok\n")) << "probe " << probe << ": " << reply;
    ASSERT_LT(took, 1s) << "probe " << probe;
    probes_in_wave += in_wave ? 1 : 0;
  }
  const int reconnects = hostile->reconnects();
  const int slowloris_connections = hostile->slowlorisConnections();
  hostile.reset();
  EXPECT_GT(reconnects, 0)
      << "the server never dropped an idle connection: no reconnect wave was probed";
  std::cout << fmt::format(
      "[ figures  ] {} idle connections ({} reconnects after drops), slowloris on its "
      "connection {}: /healthz max {:.1f} ms over {} probes (limit {} connections)\n",
      kIdle, reconnects, slowloris_connections,
      *std::max_element(latencies_ms.begin(), latencies_ms.end()), latencies_ms.size(),
      server.maxConnections());
}

TEST(HttpServer, AnswersOnIpv6) {
  HttpServerOptions options;
  options.host = "::1";
  options.port = 0;
  HttpServer server(options, [](const HttpRequest&) {
    return HttpResponse{200, "text/plain", "six", ""};
  });
  const Status started = server.start();
  if (!started.isOk()) {
    GTEST_SKIP() << "no IPv6 loopback here: " << started.toString();
  }
  const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_port = htons(static_cast<uint16_t>(server.port()));
  address.sin6_addr = in6addr_loopback;
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sendAll(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(readAll(fd).ends_with("\r\n\r\nsix"));
  ::close(fd);
}

// A handler or tick that throws (out of memory, a format error) must not unwind through the
// library's C frames or end a thread: the request's connection closes, the server goes on.
TEST(HttpServer, AThrowingHandlerCostsOneConnectionAndAThrowingTickNothing) {
  HttpServerOptions options;
  options.port = 0;
  options.tick = 10ms;
  std::atomic<int> requests{0};
  std::atomic<int> ticks{0};
  HttpServer server(
      options,
      [&](const HttpRequest&) -> HttpResponse {
        if (requests++ == 0) {
          throw std::runtime_error("handler failed");
        }
        return HttpResponse{200, "text/plain", "fine", ""};
      },
      [&] {
        if (ticks++ == 0) {
          throw std::runtime_error("tick failed");
        }
      });
  ASSERT_TRUE(server.start().isOk());
  EXPECT_EQ(exchange(server.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), "");
  EXPECT_TRUE(
      exchange(server.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").ends_with("fine"));
  EXPECT_TRUE(test::eventually([&] { return ticks >= 2; }))
      << "the ticker goes on after a failed tick";
  server.stop();
}

TEST(HttpServer, AnUnknownHostIsAnInvalidArgument) {
  HttpServerOptions options;
  options.host = "no-such-host.invalid";
  options.port = 0;
  HttpServer server(options, [](const HttpRequest&) { return HttpResponse{}; });
  const Status status = server.start();
  EXPECT_EQ(status.code(), StatusCode::InvalidArgument);
  EXPECT_NE(status.message().find("cannot resolve no-such-host.invalid:0"), std::string::npos)
      << status.message();
}

}  // namespace
}  // namespace mm::metrics
