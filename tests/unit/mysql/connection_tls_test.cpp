// Connection against a server that offers no TLS (its greeting lacks CLIENT_SSL) and accepts any
// login: Connector/C 3.3 logs in over plain TCP with MYSQL_OPT_SSL_ENFORCE alone, so connect()
// must refuse the session itself for [mysql] ssl = on and verify_ca; with verify_identity the
// library refuses before sending the login; with off the plain session is the one asked for.
#include "mysql/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace mm::mysql {
namespace {

using Bytes = std::vector<uint8_t>;

// A MySQL packet: 3-byte length, sequence number, payload.
Bytes packet(const Bytes& payload, uint8_t sequence) {
  Bytes out{static_cast<uint8_t>(payload.size()), static_cast<uint8_t>(payload.size() >> 8),
            static_cast<uint8_t>(payload.size() >> 16), sequence};
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

void append(Bytes& out, std::string_view text, bool nul) {
  out.insert(out.end(), text.begin(), text.end());
  if (nul) {
    out.push_back(0);
  }
}

// Protocol 10 greeting (docs/binlog-format.md §5.1) of a MariaDB without TLS: PROTOCOL_41,
// SECURE_CONNECTION, PLUGIN_AUTH, LONG_PASSWORD, LONG_FLAG, CONNECT_WITH_DB; no CLIENT_SSL (0x800).
Bytes greetingWithoutTls() {
  constexpr uint32_t kCapabilities = 0x1 | 0x4 | 0x8 | 0x200 | 0x8000 | 0x80000;
  Bytes g{10};
  append(g, "5.5.5-10.11.99-MariaDB-fake", true);
  g.insert(g.end(), {7, 0, 0, 0});  // connection id
  append(g, "abcdefgh", true);      // scramble, first part
  g.push_back(kCapabilities & 0xFF);
  g.push_back((kCapabilities >> 8) & 0xFF);
  g.push_back(33);            // utf8_general_ci
  g.insert(g.end(), {2, 0});  // SERVER_STATUS_AUTOCOMMIT
  g.push_back((kCapabilities >> 16) & 0xFF);
  g.push_back((kCapabilities >> 24) & 0xFF);
  g.push_back(21);  // scramble length
  g.insert(g.end(), 10, 0);
  append(g, "ijklmnopqrst", true);  // scramble, second part
  append(g, "mysql_native_password", true);
  return packet(g, 0);
}

// Accepts one connection on 127.0.0.1, greets without TLS, answers OK to whatever login comes and
// records how many bytes the client sent before closing.
class PlainOnlyServer {
 public:
  PlainOnlyServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), length), 0);
    EXPECT_EQ(::listen(listen_fd_, 1), 0);
    EXPECT_EQ(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length), 0);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~PlainOnlyServer() {
    ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept() when no client came
    if (thread_.joinable()) {
      thread_.join();
    }
    ::close(listen_fd_);
  }
  int port() const { return port_; }
  // Bytes of the client's login packet (0: the client sent none); waits until the client closed.
  size_t loginBytes() {
    if (thread_.joinable()) {
      thread_.join();
    }
    return login_bytes_;
  }

 private:
  void serve() {
    const int client = ::accept(listen_fd_, nullptr, nullptr);
    if (client < 0) {
      return;
    }
    const Bytes greeting = greetingWithoutTls();
    (void)::send(client, greeting.data(), greeting.size(), MSG_NOSIGNAL);
    uint8_t buffer[4096];
    const ssize_t login = ::recv(client, buffer, sizeof buffer, 0);
    login_bytes_ = login > 0 ? static_cast<size_t>(login) : 0;
    if (login > 0) {
      const Bytes ok = packet({0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00}, 2);
      (void)::send(client, ok.data(), ok.size(), MSG_NOSIGNAL);
      while (::recv(client, buffer, sizeof buffer, 0) > 0) {
      }
    }
    ::close(client);
  }

  int listen_fd_ = -1;
  int port_ = 0;
  size_t login_bytes_ = 0;  // written by the thread, read after it ended
  std::thread thread_;
};

ConnectionOptions optionsFor(const PlainOnlyServer& server, TlsMode mode) {
  ConnectionOptions options;
  options.host = "127.0.0.1";
  options.port = server.port();
  options.user = "monitor";
  options.password = "secret";
  options.connect_timeout_seconds = 5;
  options.tls = mode;
  return options;
}

TEST(ConnectionTls, OnRefusesAServerThatOffersNoTls) {
  mysqlLibraryInit();
  PlainOnlyServer server;
  Connection connection;
  const Status status = connection.connect(optionsFor(server, TlsMode::Required));
  ASSERT_FALSE(status.isOk());
  EXPECT_EQ(status.code(), StatusCode::Refused) << status.toString();
  EXPECT_NE(
      status.message().find("the connection is not encrypted although [mysql] ssl asks for TLS"),
      std::string::npos)
      << status.message();
  EXPECT_FALSE(connection.connected());
}

TEST(ConnectionTls, VerifyIdentityRefusesBeforeTheLogin) {
  mysqlLibraryInit();
  PlainOnlyServer server;
  Connection connection;
  ConnectionOptions options = optionsFor(server, TlsMode::VerifyIdentity);
  options.ssl_ca = "/nonexistent-ca.pem";  // never read: the server has no TLS
  const Status status = connection.connect(options);
  ASSERT_FALSE(status.isOk());
  EXPECT_EQ(status.code(), StatusCode::Refused) << status.toString();
  EXPECT_EQ(server.loginBytes(), 0u) << "the user name went to a server without TLS";
}

TEST(ConnectionTls, OffConnectsPlain) {
  mysqlLibraryInit();
  PlainOnlyServer server;
  Connection connection;
  const Status status = connection.connect(optionsFor(server, TlsMode::Off));
  ASSERT_TRUE(status.isOk()) << status.toString();
  EXPECT_TRUE(connection.tlsDescription().empty());
  connection.close();
  EXPECT_GT(server.loginBytes(), 0u);
}

}  // namespace
}  // namespace mm::mysql
