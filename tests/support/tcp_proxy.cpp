#include "support/tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <vector>

#include <fmt/format.h>

namespace mm::test {
namespace {

// A relayed connection: fd[0] the client side, fd[1] the target side; pending[i] holds bytes read
// from fd[i] not yet written to the other side.
struct Link {
  std::array<int, 2> fd{-1, -1};
  std::array<std::string, 2> pending;
};

void resetAndClose(int fd) {
  linger hard{1, 0};  // close with RST, as a crashed peer or a broken network does
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  ::close(fd);
}

int connectTo(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) {
    return -1;
  }
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd >= 0 && ::connect(fd, found->ai_addr, found->ai_addrlen) != 0) {
    ::close(fd);
    freeaddrinfo(found);
    return -1;
  }
  freeaddrinfo(found);
  fcntl(fd, F_SETFL, O_NONBLOCK);
  return fd;
}

}  // namespace

TcpProxy::~TcpProxy() {
  if (thread_.joinable()) {
    thread_.request_stop();
    wake();
    thread_.join();
  }
  for (int fd : {listen_fd_, wake_pipe_[0], wake_pipe_[1]}) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
}

Status TcpProxy::start(const std::string& target_host, int target_port) {
  target_host_ = target_host;
  target_port_ = target_port;
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listen_fd_ < 0 ||
      bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listen_fd_, 16) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
      pipe2(wake_pipe_, O_NONBLOCK) != 0) {
    return Status::io(fmt::format("tcp proxy: cannot listen: errno {}", errno));
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::jthread([this](std::stop_token stop) { loop(stop); });
  return Status::ok();
}

void TcpProxy::wake() {
  const char byte = 1;
  (void)!::write(wake_pipe_[1], &byte, 1);
}

void TcpProxy::dropConnections() {
  drop_requested_ = true;
  wake();
}

void TcpProxy::setStalled(bool stalled) {
  stalled_ = stalled;
  wake();
}

void TcpProxy::setRefusing(bool refusing) {
  refusing_ = refusing;
  if (refusing) {
    dropConnections();
  }
}

void TcpProxy::loop(std::stop_token stop) {
  std::vector<Link> links;
  std::vector<pollfd> fds;
  while (!stop.stop_requested()) {
    if (drop_requested_.exchange(false)) {
      for (Link& link : links) {
        resetAndClose(link.fd[0]);
        resetAndClose(link.fd[1]);
      }
      links.clear();
    }
    const bool stalled = stalled_;
    fds.assign({pollfd{listen_fd_, POLLIN, 0}, pollfd{wake_pipe_[0], POLLIN, 0}});
    for (const Link& link : links) {
      for (int side = 0; side < 2; ++side) {
        // Read from a side when its bytes have gone out; write to a side when the other has some.
        short events = 0;
        if (!stalled && link.pending[side].empty()) {
          events |= POLLIN;
        }
        if (!stalled && !link.pending[1 - side].empty()) {
          events |= POLLOUT;
        }
        fds.push_back(pollfd{link.fd[side], events, 0});
      }
    }
    if (poll(fds.data(), fds.size(), 200) < 0) {
      continue;
    }
    if (fds[1].revents & POLLIN) {
      char drain[64];
      while (::read(wake_pipe_[0], drain, sizeof drain) > 0) {
      }
    }
    std::vector<bool> closed(links.size(), false);
    for (size_t i = 0; i < links.size(); ++i) {
      Link& link = links[i];
      for (int side = 0; side < 2 && !closed[i]; ++side) {
        const short revents = fds[2 + 2 * i + side].revents;
        if (revents & (POLLIN | POLLHUP | POLLERR)) {
          char buffer[16384];
          const ssize_t n = ::read(link.fd[side], buffer, sizeof buffer);
          if (n > 0) {
            link.pending[side].append(buffer, static_cast<size_t>(n));
          } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            closed[i] = true;
          }
        }
        if (!closed[i] && (revents & POLLOUT)) {
          std::string& out = link.pending[1 - side];
          const ssize_t n = ::send(link.fd[side], out.data(), out.size(), MSG_NOSIGNAL);
          if (n > 0) {
            out.erase(0, static_cast<size_t>(n));
          } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            closed[i] = true;
          }
        }
      }
    }
    for (size_t i = links.size(); i-- > 0;) {
      if (closed[i]) {
        ::close(links[i].fd[0]);
        ::close(links[i].fd[1]);
        links.erase(links.begin() + static_cast<ptrdiff_t>(i));
      }
    }
    if (fds[0].revents & POLLIN) {
      const int client = accept(listen_fd_, nullptr, nullptr);
      if (client >= 0 && refusing_) {
        resetAndClose(client);
      } else if (client >= 0) {
        const int target = connectTo(target_host_, target_port_);
        if (target < 0) {
          resetAndClose(client);
        } else {
          fcntl(client, F_SETFL, O_NONBLOCK);
          links.push_back(Link{{client, target}, {}});
          ++accepted_;
        }
      }
    }
  }
  for (Link& link : links) {
    ::close(link.fd[0]);
    ::close(link.fd[1]);
  }
}

}  // namespace mm::test
