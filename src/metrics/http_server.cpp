#include "metrics/http_server.h"

#include <microhttpd.h>
#include <netdb.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "common/thread_name.h"

namespace mm::metrics {
namespace {

void closeFd(int& fd) {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

// The library calls this once a request's head is in (and again for each piece of a body, which
// none of our endpoints takes): the response is queued at once, so a body is never waited for.
MHD_Result onRequest(void* context, MHD_Connection* connection, const char* url, const char* method,
                     const char* /*version*/, const char* /*upload_data*/, size_t* upload_data_size,
                     void** /*request_state*/) {
  auto& server = *static_cast<HttpServer*>(context);
  *upload_data_size = 0;
  HttpResponse reply;
  // An exception must not unwind through the library's C frames: a handler that fails (out of
  // memory, a format error) costs this one connection, which the library then closes.
  try {
    HttpRequest request{method, url};
    MHD_get_connection_values(
        connection, MHD_GET_ARGUMENT_KIND,
        [](void* arguments, MHD_ValueKind, const char* key, const char* value) {
          (*static_cast<std::map<std::string, std::string>*>(arguments))[key] =
              value != nullptr ? value : "";
          return MHD_YES;
        },
        &request.arguments);
    reply = server.answer(request);
  } catch (const std::exception&) {
    return MHD_NO;
  }
  MHD_Response* response = MHD_create_response_from_buffer(
      reply.body.size(), const_cast<char*>(reply.body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) {
    return MHD_NO;  // out of memory: the library closes the connection
  }
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, reply.content_type.c_str());
  if (!reply.allow.empty()) {
    MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, reply.allow.c_str());
  }
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
  const MHD_Result queued =
      MHD_queue_response(connection, static_cast<unsigned int>(reply.status), response);
  MHD_destroy_response(response);
  return queued;
}

// A listening socket on the first address of `host` that takes it; `where` names them in errors.
Result<int> listenOn(const std::string& host, int port, const std::string& where) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* addresses = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &addresses); rc != 0) {
    return Status::invalidArgument(fmt::format("cannot resolve {}: {}", where, gai_strerror(rc)));
  }
  std::string failure = "no address";
  int listen_fd = -1;
  for (addrinfo* a = addresses; a != nullptr && listen_fd < 0; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      failure = std::strerror(errno);
      continue;
    }
    const int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 511) != 0) {
      failure = std::strerror(errno);
      closeFd(fd);
      continue;
    }
    listen_fd = fd;
  }
  freeaddrinfo(addresses);
  if (listen_fd < 0) {
    return Status::io(fmt::format("cannot listen on {}: {}", where, failure));
  }
  return listen_fd;
}

// The port `fd` is bound to (the one the kernel chose for port 0).
int boundPort(int fd) {
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  return ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                           : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

// `wanted`, lowered to what the open-file limit allows with kReservedDescriptors left over.
size_t connectionLimit(size_t wanted) {
  rlimit files{};
  const size_t descriptors =
      getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY
          ? static_cast<size_t>(files.rlim_cur)
          : 65536;
  const size_t allowed =
      descriptors > kReservedDescriptors * 2 ? descriptors - kReservedDescriptors : descriptors / 2;
  return std::clamp<size_t>(std::min(wanted, allowed), 1, wanted);
}

}  // namespace

size_t raiseOpenFileLimit(size_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return 1024;
  }
  const rlim_t target = std::min<rlim_t>(limit.rlim_max, wanted);
  if (limit.rlim_cur < target) {
    rlimit raised = limit;
    raised.rlim_cur = target;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      limit = raised;
    }
  }
  return limit.rlim_cur == RLIM_INFINITY ? wanted : static_cast<size_t>(limit.rlim_cur);
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler,
                       std::function<void()> on_tick)
    : options_(std::move(options)), handler_(std::move(handler)), on_tick_(std::move(on_tick)) {}

HttpServer::~HttpServer() { stop(); }

HttpResponse HttpServer::answer(const HttpRequest& request) {
  std::lock_guard lock(handler_mutex_);
  return handler_(request);
}

Status HttpServer::start() {
  const std::string where = fmt::format("{}:{}", options_.host, options_.port);
  // The socket is bound here rather than by the library, for errors that name the address.
  auto listening = listenOn(options_.host, options_.port, where);
  MM_RETURN_IF_ERROR(listening.status());
  const int listen_fd = *listening;
  port_ = boundPort(listen_fd);
  max_connections_ = connectionLimit(options_.max_connections);
  const auto timeout_seconds = std::max<int64_t>(
      1, std::chrono::ceil<std::chrono::seconds>(options_.client_timeout).count());
  // The library reads a request head into a pool of this size per connection (and builds the
  // response head there too, once the request is read): a larger head gets 431.
  const size_t pool_bytes = std::max<size_t>(options_.max_request_bytes, 4096);
  daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC, 0,
                             nullptr, nullptr, &onRequest, this, MHD_OPTION_LISTEN_SOCKET,
                             static_cast<MHD_socket>(listen_fd), MHD_OPTION_CONNECTION_LIMIT,
                             static_cast<unsigned int>(max_connections_),
                             MHD_OPTION_PER_IP_CONNECTION_LIMIT, 0u, MHD_OPTION_CONNECTION_TIMEOUT,
                             static_cast<unsigned int>(timeout_seconds),
                             MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool_bytes, MHD_OPTION_END);
  if (daemon_ == nullptr) {
    ::close(listen_fd);
    return Status::io(fmt::format("cannot start the HTTP server on {} (libmicrohttpd)", where));
  }
  ticker_ = std::jthread([this](std::stop_token stop) { tick(stop); });
  return Status::ok();
}

size_t HttpServer::openConnections() const {
  if (daemon_ == nullptr) {
    return 0;
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
  return info != nullptr ? info->num_connections : 0;
}

void HttpServer::tick(const std::stop_token& stop) {
  nameThisThread("mm-metrics-tick");
  while (true) {
    {
      std::unique_lock lock(tick_mutex_);
      (void)tick_wake_.wait_for(lock, stop, options_.tick, [] { return false; });
    }
    if (stop.stop_requested()) {
      return;
    }
    if (!on_tick_) {
      continue;
    }
    // A thread must not end in an exception (std::terminate): a failed tick (out of memory) is
    // reported and the next one tried. No logger here: metrics/ links none.
    try {
      std::lock_guard lock(handler_mutex_);
      on_tick_();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "mysql-monitor: metrics tick failed: %s\n", e.what());
    }
  }
}

void HttpServer::stop() {
  if (ticker_.joinable()) {
    ticker_.request_stop();
    ticker_.join();
  }
  if (daemon_ != nullptr) {
    // Closes every connection and the listen socket, and joins the library's thread.
    MHD_stop_daemon(daemon_);
    daemon_ = nullptr;
  }
}

}  // namespace mm::metrics
