// HttpServer: the HTTP/1.x server of the metrics and health endpoints, on libmicrohttpd (Debian
// libmicrohttpd12) instead of a hand-written one (issue 16 item 9: 500 idle connections and a
// slowloris held a /healthz for 19.6 s, because 64 slots each stayed taken for a 5 s timeout).
//
// One thread of its own waits on epoll: an idle or slow client costs a descriptor and nothing else,
// so up to max_connections of them never delay another request. A client that sends nothing for
// client_timeout (rounded up to whole seconds, the library's unit) is dropped; a request head
// larger than max_request_bytes gets 431; what is not HTTP/1.x gets the library's 400 (or 505).
// There is deliberately no per-address limit: a liveness probe (the kubelet, a load balancer)
// comes from the same address as everything else on its node, and would be refused with them.
// Beyond max_connections new clients wait in the listen backlog until a slot frees.
//
// The handler decides everything about well-formed requests; every response says
// Connection: close (one request per connection). The handler and on_tick run on the server's
// threads but never at the same time, and must not block.
//
// start() binds and returns errors (InvalidArgument for an address that does not resolve, Io for
// one that cannot be bound or a server that cannot start) naming the address; stop() (and the
// destructor) close every connection and end the threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"

struct MHD_Daemon;

namespace mm::metrics {

struct HttpRequest {
  std::string method;
  std::string path;                                   // the target without its query string
  std::map<std::string, std::string> arguments = {};  // the query string's, decoded
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string allow;  // the Allow header of a 405
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 9650;  // 0 = any free port (see port())
  size_t max_request_bytes = 8192;
  // Open connections at most; lowered at start() to what the open-file limit allows with
  // kReservedDescriptors left for the rest of the process (state file, server connections).
  size_t max_connections = 4096;
  std::chrono::milliseconds client_timeout{2000};
  // on_tick runs about this often.
  std::chrono::milliseconds tick{1000};
};

// Descriptors the connection limit leaves to the rest of the process.
inline constexpr size_t kReservedDescriptors = 128;

// Raises the soft RLIMIT_NOFILE to the hard one (at most `wanted`); returns the soft limit then in
// force. A daemon started with the usual soft limit of 1,024 could otherwise give every descriptor
// to idle HTTP clients.
size_t raiseOpenFileLimit(size_t wanted = 65536);

class HttpServer {
 public:
  // `on_tick` may be empty.
  HttpServer(HttpServerOptions options, HttpHandler handler, std::function<void()> on_tick = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  Status start();
  void stop();
  // The port listened on, once started.
  int port() const { return port_; }
  // The connection limit in force, once started.
  size_t maxConnections() const { return max_connections_; }
  // Connections the server holds now (accepted and not yet closed); 0 when not started.
  size_t openConnections() const;

  // What the library's callback calls (public for it only): the handler under the lock.
  HttpResponse answer(const HttpRequest& request);

 private:
  // The ticker thread: on_tick every options_.tick until `stop`.
  void tick(const std::stop_token& stop);

  HttpServerOptions options_;
  HttpHandler handler_;
  std::function<void()> on_tick_;
  std::mutex handler_mutex_;  // the handler and on_tick, one at a time
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
  size_t max_connections_ = 0;
  std::mutex tick_mutex_;
  std::condition_variable_any tick_wake_;
  std::jthread ticker_;
};

}  // namespace mm::metrics
