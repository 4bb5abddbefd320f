#include "node/registry/check_probes.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mutex>
#include <set>

#include "common/beast.h"

extern char** environ;

namespace synod::node::registry {
namespace {

namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

struct ParsedUrl {
  std::string host;
  std::string port;
  std::string target;
};

bool parse_http_url(const std::string& url, ParsedUrl& out) {
  constexpr std::string_view kScheme = "http://";
  if (url.compare(0, kScheme.size(), kScheme) != 0) return false;
  std::string rest = url.substr(kScheme.size());
  const auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  out.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (authority.empty()) return false;
  if (authority.front() == '[') {  // [::1]:8080
    const auto close = authority.find(']');
    if (close == std::string::npos) return false;
    out.host = authority.substr(1, close - 1);
    out.port = close + 1 < authority.size() && authority[close + 1] == ':'
                   ? authority.substr(close + 2)
                   : "80";
  } else {
    const auto colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    out.port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  }
  return !out.host.empty() && !out.port.empty();
}

// What HTTP and TCP checks share: a resolver, a stream bounded by the
// check's timeout, and a completion that runs once and closes the socket.
class SocketProbe {
 protected:
  SocketProbe(asio::io_context& io, std::chrono::milliseconds timeout, ProbeDone done)
      : resolver_(io), stream_(io), timeout_(timeout), done_(std::move(done)) {}

  void finish(std::string status, std::string output) {
    error_code ignored;
    stream_.socket().close(ignored);
    if (done_) {
      auto done = std::move(done_);
      done_ = nullptr;
      done(ProbeResult{std::move(status), truncate_output(std::move(output))});
    }
  }

  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  std::chrono::milliseconds timeout_;
  ProbeDone done_;
};

// One HTTP check in flight; keeps itself alive through its handlers.
class HttpCheck : public SocketProbe, public std::enable_shared_from_this<HttpCheck> {
 public:
  HttpCheck(asio::io_context& io, HttpProbe probe, std::chrono::milliseconds timeout,
            ProbeDone done)
      : SocketProbe(io, timeout, std::move(done)), probe_(std::move(probe)) {}

  void start() {
    if (!parse_http_url(probe_.url, url_)) {
      return finish("critical",
                    "invalid or unsupported URL (only http:// is supported): " + probe_.url);
    }
    request_.method_string(probe_.method);
    request_.target(url_.target);
    request_.version(11);
    request_.set(bhttp::field::host, url_.host);
    request_.set(bhttp::field::user_agent, "Consul Health Check");
    request_.set(bhttp::field::accept, "text/plain, text/*, */*");
    for (const auto& [name, values] : probe_.headers) {
      for (const auto& value : values) request_.insert(name, value);
    }
    request_.set(bhttp::field::connection, "close");
    request_.body() = probe_.body;
    request_.prepare_payload();
    parser_.body_limit(64 * 1024);
    stream_.expires_after(timeout_);
    resolver_.async_resolve(
        url_.host, url_.port,
        [self = shared_from_this()](error_code ec, tcp::resolver::results_type r) {
          if (ec) return self->fail(ec);
          self->stream_.async_connect(r, [self](error_code ec2, const auto&) {
            if (ec2) return self->fail(ec2);
            self->send();
          });
        });
  }

 private:
  void send() {
    bhttp::async_write(stream_, request_, [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec) return self->fail(ec);
      bhttp::async_read(self->stream_, self->buffer_, self->parser_,
                        [self](error_code ec2, std::size_t) {
                          // A body over the limit still has a status code: use it.
                          if (ec2 && ec2 != bhttp::error::body_limit) return self->fail(ec2);
                          self->on_response();
                        });
    });
  }

  void on_response() {
    const auto& response = parser_.get();
    const unsigned code = response.result_int();
    std::string status = code >= 200 && code < 300 ? "passing"
                         : code == 429             ? "warning"
                                                   : "critical";
    std::string output = "HTTP " + probe_.method + " " + probe_.url + ": " + std::to_string(code) +
                         " " + std::string(response.reason()) + " Output: " + response.body();
    finish(std::move(status), std::move(output));
  }

  void fail(error_code ec) {
    if (ec == beast::error::timeout) {
      return finish("critical", "Get \"" + probe_.url + "\": context deadline exceeded (timeout " +
                                    std::to_string(timeout_.count()) + "ms)");
    }
    finish("critical", "HTTP " + probe_.method + " " + probe_.url + ": " + ec.message());
  }

  HttpProbe probe_;
  ParsedUrl url_;
  bhttp::request<bhttp::string_body> request_;
  beast::flat_buffer buffer_;
  bhttp::response_parser<bhttp::string_body> parser_;
};

class TcpCheck : public SocketProbe, public std::enable_shared_from_this<TcpCheck> {
 public:
  TcpCheck(asio::io_context& io, std::string address, std::chrono::milliseconds timeout,
           ProbeDone done)
      : SocketProbe(io, timeout, std::move(done)), address_(std::move(address)) {}

  void start() {
    const auto colon = address_.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      return finish("critical", "invalid TCP address (want host:port): " + address_);
    }
    std::string host = address_.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    stream_.expires_after(timeout_);
    resolver_.async_resolve(
        host, address_.substr(colon + 1),
        [self = shared_from_this()](error_code ec, tcp::resolver::results_type results) {
          if (ec)
            return self->finish("critical", "TCP connect " + self->address_ + ": " + ec.message());
          self->stream_.async_connect(results, [self](error_code ec2, const auto&) {
            if (ec2 == beast::error::timeout) {
              return self->finish("critical", "TCP connect " + self->address_ + ": i/o timeout");
            }
            if (ec2)
              return self->finish("critical",
                                  "TCP connect " + self->address_ + ": " + ec2.message());
            self->finish("passing", "TCP connect " + self->address_ + ": Success");
          });
        });
  }

 private:
  std::string address_;
};

}  // namespace

std::string truncate_output(std::string text) {
  if (text.size() <= kMaxCheckOutput) return text;
  text.resize(kMaxCheckOutput);
  text += " ... (truncated)";
  return text;
}

void run_http_probe(asio::io_context& io, const HttpProbe& probe, std::chrono::milliseconds timeout,
                    ProbeDone done) {
  std::make_shared<HttpCheck>(io, probe, timeout, std::move(done))->start();
}

void run_tcp_probe(asio::io_context& io, const std::string& address,
                   std::chrono::milliseconds timeout, ProbeDone done) {
  std::make_shared<TcpCheck>(io, address, timeout, std::move(done))->start();
}

// ---- scripts ----

struct ScriptRunner::Shared {
  std::mutex mutex;
  bool stopped = false;     // GUARDED_BY(mutex)
  std::set<pid_t> running;  // GUARDED_BY(mutex)
};

namespace {

// Runs the child to completion (or kills it at the deadline); blocking, on
// a pool thread.
ProbeResult run_script_blocking(const std::vector<std::string>& args,
                                std::chrono::milliseconds timeout, ScriptRunner* /*unused*/,
                                const std::function<bool(pid_t, bool)>& track) {
  if (args.empty()) return {"critical", "script check has no Args"};
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return {"critical", "pipe: " + std::string(strerror(errno))};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return {"critical", "starting " + args[0] + ": " + strerror(rc)};
  }
  if (!track(pid, true)) kill(pid, SIGKILL);  // the runner is stopping
  std::string output;
  bool timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char buffer[4096];
    const ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child closed its output (normally: exited)
    if (output.size() < 2 * kMaxCheckOutput) output.append(buffer, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  track(pid, false);
  if (timed_out) {
    return {"critical", truncate_output(output) + "\nTimed out (" +
                            std::to_string(timeout.count()) + "ms) running check"};
  }
  const int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  const char* status = code == 0 ? "passing" : code == 1 ? "warning" : "critical";
  return {status, truncate_output(std::move(output))};
}

}  // namespace

ScriptRunner::ScriptRunner(asio::io_context& io, std::size_t threads)
    : io_(io), shared_(std::make_shared<Shared>()), pool_(threads == 0 ? 1 : threads) {}

ScriptRunner::~ScriptRunner() {
  {
    std::lock_guard lock(shared_->mutex);
    shared_->stopped = true;
    for (pid_t pid : shared_->running) kill(pid, SIGKILL);
  }
  pool_.join();
}

void ScriptRunner::run(std::vector<std::string> args, std::chrono::milliseconds timeout,
                       ProbeDone done) {
  asio::post(pool_, [this, shared = shared_, args = std::move(args), timeout,
                     done = std::move(done)]() mutable {
    auto track = [&shared](pid_t pid, bool add) {
      std::lock_guard lock(shared->mutex);
      if (add)
        shared->running.insert(pid);
      else
        shared->running.erase(pid);
      return !shared->stopped;
    };
    {
      std::lock_guard lock(shared->mutex);
      if (shared->stopped) return;
    }
    ProbeResult result = run_script_blocking(args, timeout, this, track);
    std::lock_guard lock(shared->mutex);
    if (shared->stopped) return;
    asio::post(io_, [done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
  });
}

}  // namespace synod::node::registry
