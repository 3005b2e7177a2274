#include "support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

namespace mm::test {
namespace {

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

}  // namespace

HttpReply httpGet(int port, const std::string& path) {
  HttpReply reply;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = loopback(port);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    if (fd >= 0) {
      ::close(fd);
    }
    return reply;
  }
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  const std::string request =
      fmt::format("GET {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n", path, port);
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return reply;
  }
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) {
    response.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  const size_t head_end = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12 ||
      head_end == std::string::npos) {
    return reply;
  }
  reply.status = std::stoi(response.substr(9, 3));
  reply.body = response.substr(head_end + 4);
  return reply;
}

int freeLocalPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = loopback(0);
  socklen_t length = sizeof(address);
  int port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  if (fd >= 0) {
    ::close(fd);
  }
  return port;
}

int connectLocal(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = loopback(port);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    if (fd >= 0) {
      ::close(fd);
    }
    return -1;
  }
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  return fd;
}

int HostileHttpClients::openIdle(size_t i) const {
  const int fd = connectLocal(port_);
  if (fd >= 0 && i % 2 == 1) {
    constexpr std::string_view kBegun =
        "GET /metrics HTTP/1.1\r\nHost: t\r\n";  // never the empty line
    (void)::send(fd, kBegun.data(), kBegun.size(), MSG_NOSIGNAL);
  }
  return fd;
}

HostileHttpClients::HostileHttpClients(int port, size_t idle) : port_(port), idle_(idle, -1) {
  for (size_t i = 0; i < idle; ++i) {
    idle_[i] = openIdle(i);
    refused_at_start_ += idle_[i] < 0 ? 1 : 0;
  }
  holder_ = std::jthread([this](std::stop_token stop) {
    std::vector<pollfd> fds(idle_.size());
    while (!stop.stop_requested()) {
      for (size_t i = 0; i < idle_.size(); ++i) {
        fds[i] = pollfd{idle_[i], POLLIN, 0};  // a negative fd is ignored by poll
      }
      if (::poll(fds.data(), fds.size(), 20) <= 0) {
        continue;
      }
      for (size_t i = 0; i < idle_.size() && !stop.stop_requested(); ++i) {
        if (fds[i].revents != 0) {  // the server closed it (or answered: it never should)
          ::close(idle_[i]);
          idle_[i] = openIdle(i);
          ++reconnects_;
        }
      }
    }
  });
  slowloris_ = std::jthread([this](std::stop_token stop) {
    int fd = -1;
    while (!stop.stop_requested()) {
      if (fd < 0) {
        fd = connectLocal(port_);
        ++slowloris_connections_;
        constexpr std::string_view kLine = "GET /healthz HTTP/1.1\r\nX-Slow: ";
        (void)::send(fd, kLine.data(), kLine.size(), MSG_NOSIGNAL);
      }
      if (fd >= 0 && ::send(fd, "x", 1, MSG_NOSIGNAL) != 1) {
        ::close(fd);
        fd = -1;
        continue;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (fd >= 0) {
      ::close(fd);
    }
  });
}

HostileHttpClients::~HostileHttpClients() {
  holder_.request_stop();
  slowloris_.request_stop();
  holder_.join();
  slowloris_.join();
  for (int fd : idle_) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
}

}  // namespace mm::test
