// HttpServer: a small HTTP/1.1 server on its own thread, for the metrics and health endpoints.
//
// One request per connection (the response says Connection: close). Plain non-blocking sockets
// and poll(): a slow or silent client holds only its own buffer until client_timeout, never the
// others or the pipeline; beyond max_connections new clients wait in the listen backlog. Requests
// are parsed by parseHttpRequest(), which accepts only what a probe or Prometheus sends: a request
// line "METHOD /path HTTP/1.x" and headers, ending in an empty line, within max_request_bytes.
// Anything else gets 400; the handler decides everything about well-formed requests. The
// handler runs on the server's thread, so it must not block.
//
// start() binds and returns errors (InvalidArgument for an address that does not resolve, Io for
// one that cannot be bound) naming the address; stop() (and the destructor) end the thread.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "common/status.h"

namespace mm::metrics {

struct HttpRequest {
  std::string method;
  std::string path;  // the target without its query string
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string allow;  // the Allow header of a 405
};

enum class ParseState { Incomplete, Complete, Bad };

struct ParsedRequest {
  ParseState state = ParseState::Incomplete;
  HttpRequest request;  // when Complete
  std::string error;    // when Bad: what is wrong, for the 400 body
};

// Parses what a client sent so far (the head is complete at the first empty line; a body is
// ignored: we answer and close).
ParsedRequest parseHttpRequest(std::string_view received);

// The bytes of a response: status line, Content-Type, Content-Length, Connection: close.
std::string serializeResponse(const HttpResponse& response);

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 9650;  // 0 = any free port (see port())
  size_t max_request_bytes = 8192;
  size_t max_connections = 64;
  std::chrono::milliseconds client_timeout{5000};
  // on_tick runs on the server's thread about this often.
  std::chrono::milliseconds tick{1000};
};

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

 private:
  void loop(std::stop_token stop);

  HttpServerOptions options_;
  HttpHandler handler_;
  std::function<void()> on_tick_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  int port_ = 0;
  std::jthread thread_;
};

}  // namespace mm::metrics
