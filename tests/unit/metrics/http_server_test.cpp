// The metrics HTTP server: request parsing (well-formed, incomplete, malformed), the response
// bytes, and the server over real sockets: slow and silent clients do not hold up others,
// oversized and malformed requests get their error, stop() is prompt.
#include "metrics/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace mm::metrics {
namespace {

using namespace std::chrono_literals;

TEST(ParseHttpRequest, ReadsMethodAndPath) {
  const auto parsed = parseHttpRequest("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
  ASSERT_EQ(parsed.state, ParseState::Complete) << parsed.error;
  EXPECT_EQ(parsed.request.method, "GET");
  EXPECT_EQ(parsed.request.path, "/metrics");
}

TEST(ParseHttpRequest, DropsTheQueryString) {
  const auto parsed = parseHttpRequest("GET /readyz?verbose=1 HTTP/1.0\r\n\r\n");
  ASSERT_EQ(parsed.state, ParseState::Complete);
  EXPECT_EQ(parsed.request.path, "/readyz");
}

TEST(ParseHttpRequest, ToleratesBareLineFeeds) {
  const auto parsed = parseHttpRequest("GET /healthz HTTP/1.1\nHost: x\n\n");
  ASSERT_EQ(parsed.state, ParseState::Complete);
  EXPECT_EQ(parsed.request.path, "/healthz");
}

TEST(ParseHttpRequest, WaitsForTheEndOfTheHead) {
  EXPECT_EQ(parseHttpRequest("").state, ParseState::Incomplete);
  EXPECT_EQ(parseHttpRequest("GET /metr").state, ParseState::Incomplete);
  EXPECT_EQ(parseHttpRequest("GET /metrics HTTP/1.1\r\n").state, ParseState::Incomplete);
  EXPECT_EQ(parseHttpRequest("GET /metrics HTTP/1.1\r\nHost: x\r\n").state, ParseState::Incomplete);
}

TEST(ParseHttpRequest, MalformedRequestLinesAreBadAsSoonAsTheLineEnds) {
  for (const char* request : {"GET\r\n", "GET /metrics\r\n", "GET  /metrics HTTP/1.1\r\n",
                              "GET /metrics HTTP/1.1 extra\r\n", "G\xC3\xA9T /metrics HTTP/1.1\r\n",
                              " /metrics HTTP/1.1\r\n", "GET metrics HTTP/1.1\r\n",
                              "GET http://x/metrics HTTP/1.1\r\n", "\r\n", "\x16\x03\x01\x02\x01\n"}) {
    const auto parsed = parseHttpRequest(request);
    EXPECT_EQ(parsed.state, ParseState::Bad) << request;
    EXPECT_NE(parsed.error.find("malformed request line"), std::string::npos) << parsed.error;
  }
}

TEST(ParseHttpRequest, OtherProtocolVersionsAreBad) {
  for (const char* request : {"GET /metrics HTTP/2.0\r\n\r\n", "GET /metrics HTTP/1.10\r\n\r\n",
                              "GET /metrics SPDY/1.1\r\n\r\n", "GET /metrics HTTP/1.x\r\n\r\n"}) {
    const auto parsed = parseHttpRequest(request);
    EXPECT_EQ(parsed.state, ParseState::Bad) << request;
    EXPECT_NE(parsed.error.find("unsupported protocol version"), std::string::npos) << parsed.error;
  }
}

TEST(SerializeResponse, WritesStatusHeadersAndBody) {
  HttpResponse response;
  response.status = 405;
  response.allow = "GET";
  response.body = "only GET\n";
  EXPECT_EQ(serializeResponse(response),
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 9\r\nAllow: GET\r\nConnection: close\r\n\r\nonly GET\n");
}

// A blocking client socket to 127.0.0.1:port with a receive timeout.
int connectTo(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  return fd;
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
        [this] { ++ticks_; });
    const Status status = server_->start();
    ASSERT_TRUE(status.isOk()) << status.toString();
    ASSERT_GT(server_->port(), 0);
  }

  std::atomic<int> ticks_{0};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, AnswersAndCloses) {
  const std::string reply = exchange(server_->port(), "GET /metrics?x HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(reply,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 12\r\n"
            "Connection: close\r\n\r\nGET /metrics");
}

TEST_F(HttpServerTest, ARequestInPiecesIsAnsweredOnceComplete) {
  const int fd = connectTo(server_->port());
  ASSERT_GE(fd, 0);
  for (const char* piece : {"GE", "T /he", "althz HTTP/1.1\r", "\nHost: t\r\n", "\r\n"}) {
    sendAll(fd, piece);
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_NE(readAll(fd).find("\r\n\r\nGET /healthz"), std::string::npos);
  ::close(fd);
}

TEST_F(HttpServerTest, MalformedRequestGets400) {
  const std::string reply = exchange(server_->port(), "HELLO\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << reply;
  EXPECT_NE(reply.find("malformed request line"), std::string::npos) << reply;
}

TEST_F(HttpServerTest, OversizedHeadGets431) {
  const std::string request = "GET /metrics HTTP/1.1\r\nX-Filler: " + std::string(2000, 'a');
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
  EXPECT_NE(exchange(server_->port(), "GET /readyz HTTP/1.1\r\n\r\n").find("GET /readyz"), std::string::npos);
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
  std::this_thread::sleep_for(300ms);
  EXPECT_GE(ticks_.load(), 2);
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
  EXPECT_NE(status.message().find(fmt::format("cannot listen on 127.0.0.1:{}: Address already in use", server_->port())),
            std::string::npos)
      << status.message();
}

TEST(HttpServer, BeyondMaxConnectionsClientsWaitInTheBacklogUntilASlotFrees) {
  HttpServerOptions options;
  options.port = 0;
  options.max_connections = 2;
  options.client_timeout = 500ms;
  HttpServer server(options, [](const HttpRequest&) { return HttpResponse{200, "text/plain", "hi", ""}; });
  ASSERT_TRUE(server.start().isOk());
  const int silent_a = connectTo(server.port());
  const int silent_b = connectTo(server.port());
  std::this_thread::sleep_for(100ms);  // both taken by the server: no slot left
  const auto started = std::chrono::steady_clock::now();
  EXPECT_NE(exchange(server.port(), "GET / HTTP/1.1\r\n\r\n").find("\r\n\r\nhi"), std::string::npos);
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, 300ms) << "answered only once a silent client timed out";
  EXPECT_LT(waited, 3s);
  ::close(silent_a);
  ::close(silent_b);
}

TEST(HttpServer, AnUnknownHostIsAnInvalidArgument) {
  HttpServerOptions options;
  options.host = "no-such-host.invalid";
  options.port = 0;
  HttpServer server(options, [](const HttpRequest&) { return HttpResponse{}; });
  const Status status = server.start();
  EXPECT_EQ(status.code(), StatusCode::InvalidArgument);
  EXPECT_NE(status.message().find("cannot resolve no-such-host.invalid:0"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace mm::metrics
