#include "metrics/http_server.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "common/thread_name.h"

namespace mm::metrics {
namespace {

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

bool isTokenChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

ParsedRequest bad(std::string why) {
  ParsedRequest parsed;
  parsed.state = ParseState::Bad;
  parsed.error = std::move(why);
  return parsed;
}

HttpResponse errorResponse(int status, std::string_view why) {
  HttpResponse response;
  response.status = status;
  response.body = fmt::format("{}\n", why);
  return response;
}

struct Client {
  int fd = -1;
  std::string received;
  std::string reply;
  size_t sent = 0;
  bool replying = false;
  std::chrono::steady_clock::time_point deadline;
};

void closeFd(int& fd) {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

}  // namespace

ParsedRequest parseHttpRequest(std::string_view received) {
  // Lines end in CRLF; a bare LF is tolerated (hand-typed requests). The request line is judged
  // as soon as it is there, so garbage is refused without waiting for the rest.
  const size_t line_end = received.find('\n');
  if (line_end == std::string_view::npos) {
    return ParsedRequest{};
  }
  std::string_view line = received.substr(0, line_end);
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  const size_t first_space = line.find(' ');
  const size_t second_space = first_space == std::string_view::npos ? first_space : line.find(' ', first_space + 1);
  if (second_space == std::string_view::npos || line.find(' ', second_space + 1) != std::string_view::npos) {
    return bad("malformed request line: expected METHOD TARGET HTTP/1.x");
  }
  const std::string_view method = line.substr(0, first_space);
  const std::string_view target = line.substr(first_space + 1, second_space - first_space - 1);
  const std::string_view version = line.substr(second_space + 1);
  if (method.empty() || !std::all_of(method.begin(), method.end(), isTokenChar)) {
    return bad("malformed request line: bad method");
  }
  if (target.empty() || target.front() != '/') {
    return bad("malformed request line: the target must be a path starting with /");
  }
  if (version.substr(0, 7) != "HTTP/1." || version.size() != 8 || (version[7] != '0' && version[7] != '1')) {
    return bad(fmt::format("unsupported protocol version '{}' (HTTP/1.0 or HTTP/1.1)", version));
  }
  // The head ends at the first empty line.
  if (received.find("\n\n") == std::string_view::npos && received.find("\n\r\n") == std::string_view::npos) {
    return ParsedRequest{};
  }
  ParsedRequest parsed;
  parsed.state = ParseState::Complete;
  parsed.request.method = std::string(method);
  parsed.request.path = std::string(target.substr(0, target.find('?')));
  return parsed;
}

std::string serializeResponse(const HttpResponse& response) {
  std::string out = fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
                                response.status, reasonPhrase(response.status), response.content_type,
                                response.body.size());
  if (!response.allow.empty()) {
    out += fmt::format("Allow: {}\r\n", response.allow);
  }
  out += "Connection: close\r\n\r\n";
  out += response.body;
  return out;
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler, std::function<void()> on_tick)
    : options_(std::move(options)), handler_(std::move(handler)), on_tick_(std::move(on_tick)) {}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start() {
  const std::string where = fmt::format("{}:{}", options_.host, options_.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* addresses = nullptr;
  const std::string port = std::to_string(options_.port);
  if (const int rc = getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &addresses); rc != 0) {
    return Status::invalidArgument(fmt::format("cannot resolve {}: {}", where, gai_strerror(rc)));
  }
  std::string failure = "no address";
  for (addrinfo* a = addresses; a != nullptr && listen_fd_ < 0; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      failure = std::strerror(errno);
      continue;
    }
    const int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 64) != 0) {
      failure = std::strerror(errno);
      closeFd(fd);
      continue;
    }
    listen_fd_ = fd;
  }
  freeaddrinfo(addresses);
  if (listen_fd_ < 0) {
    return Status::io(fmt::format("cannot listen on {}: {}", where, failure));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &length);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  if (pipe2(wake_pipe_, O_NONBLOCK | O_CLOEXEC) != 0) {
    closeFd(listen_fd_);
    return Status::io(fmt::format("metrics server: pipe: {}", std::strerror(errno)));
  }
  thread_ = std::jthread([this](std::stop_token stop) {
    nameThisThread("mm-metrics-http");
    loop(stop);
  });
  return Status::ok();
}

void HttpServer::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    const char byte = 0;
    (void)!::write(wake_pipe_[1], &byte, 1);
    thread_.join();
  }
  closeFd(listen_fd_);
  closeFd(wake_pipe_[0]);
  closeFd(wake_pipe_[1]);
}

void HttpServer::loop(std::stop_token stop) {
  using Clock = std::chrono::steady_clock;
  std::vector<Client> clients;
  std::vector<pollfd> fds;
  auto next_tick = Clock::now() + options_.tick;
  // Out of file descriptors the listen socket stays readable: pause accepting rather than spin.
  auto accept_from = Clock::now();
  while (!stop.stop_requested()) {
    fds.clear();
    fds.push_back(pollfd{wake_pipe_[0], POLLIN, 0});
    const bool accept_paused = Clock::now() < accept_from;
    const bool accepting = clients.size() < options_.max_connections && !accept_paused;
    fds.push_back(pollfd{listen_fd_, static_cast<short>(accepting ? POLLIN : 0), 0});
    auto wake_at = accept_paused ? std::min(next_tick, accept_from) : next_tick;
    for (const Client& c : clients) {
      fds.push_back(pollfd{c.fd, static_cast<short>(c.replying ? POLLOUT : POLLIN), 0});
      wake_at = std::min(wake_at, c.deadline);
    }
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake_at - Clock::now());
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(0, wait.count())));
    if (ready < 0 && errno != EINTR) {
      break;
    }
    const auto now = Clock::now();
    if (fds[1].revents & POLLIN) {
      while (clients.size() < options_.max_connections) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
          if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            accept_from = now + std::chrono::milliseconds{100};
          }
          break;
        }
        clients.push_back(Client{fd, {}, {}, 0, false, now + options_.client_timeout});
      }
    }
    for (size_t i = 2; i < fds.size(); ++i) {
      Client& c = clients[i - 2];
      if (fds[i].revents == 0) {
        continue;
      }
      if (!c.replying && (fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
        char buffer[4096];
        const ssize_t n = ::recv(c.fd, buffer, sizeof(buffer), 0);
        if (n <= 0) {
          if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            closeFd(c.fd);
          }
          continue;
        }
        c.received.append(buffer, static_cast<size_t>(n));
        const ParsedRequest parsed = parseHttpRequest(c.received);
        HttpResponse response;
        if (parsed.state == ParseState::Complete) {
          response = handler_(parsed.request);
        } else if (parsed.state == ParseState::Bad) {
          response = errorResponse(400, parsed.error);
        } else if (c.received.size() > options_.max_request_bytes) {
          response = errorResponse(431, fmt::format("request head longer than {} bytes", options_.max_request_bytes));
        } else {
          continue;
        }
        c.reply = serializeResponse(response);
        c.replying = true;
      } else if (c.replying && (fds[i].revents & (POLLOUT | POLLHUP | POLLERR))) {
        const ssize_t n = ::send(c.fd, c.reply.data() + c.sent, c.reply.size() - c.sent, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
          closeFd(c.fd);
          continue;
        }
        c.sent += static_cast<size_t>(std::max<ssize_t>(0, n));
        if (c.sent == c.reply.size()) {
          ::shutdown(c.fd, SHUT_WR);
          closeFd(c.fd);
        }
      }
    }
    for (Client& c : clients) {
      if (c.fd >= 0 && now >= c.deadline) {
        closeFd(c.fd);  // too slow: its turn is over
      }
    }
    std::erase_if(clients, [](const Client& c) { return c.fd < 0; });
    if (now >= next_tick) {
      next_tick = now + options_.tick;
      if (on_tick_) {
        on_tick_();
      }
    }
  }
  for (Client& c : clients) {
    closeFd(c.fd);
  }
}

}  // namespace mm::metrics
