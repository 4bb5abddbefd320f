#include "tests/harness/process_util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace synod::test {
namespace {

constexpr const char* kRecordDir = "/tmp/synod-test-servers";

std::string join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

// In the forked child: stdout/stderr to the log, stdin from /dev/null, exec.
[[noreturn]] void exec_child(const std::vector<std::string>& argv, const std::string& log_path) {
  int in = ::open("/dev/null", O_RDONLY);
  int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (in >= 0) ::dup2(in, 0);
  if (out >= 0) {
    ::dup2(out, 1);
    ::dup2(out, 2);
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  std::fprintf(stderr, "exec %s failed: %s\n", args[0], std::strerror(errno));
  ::_exit(127);
}

std::string record_path(const std::string& data_dir) {
  return std::string(kRecordDir) + "/" + std::filesystem::path(data_dir).filename().string();
}

bool identity_alive(const std::string& identity) {
  pid_t pid = static_cast<pid_t>(std::atoll(identity.c_str()));
  return pid > 0 && process_identity(pid) == identity;
}

}  // namespace

Status run_command(const std::vector<std::string>& argv, const std::string& log_path) {
  pid_t pid = ::fork();
  if (pid < 0) return io_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) exec_child(argv, log_path);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return io_error(std::string("waitpid: ") + std::strerror(errno));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::ok();
  return internal_error("command failed (" +
                        (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                           : "signal " + std::to_string(WTERMSIG(status))) +
                        "): " + join(argv) + "\n--- " + log_path + " ---\n" + file_tail(log_path));
}

Result<pid_t> spawn_child(const std::vector<std::string>& argv, const std::string& log_path) {
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return io_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);  // the parent died before prctl
    exec_child(argv, log_path);
  }
  return pid;
}

bool child_exited(pid_t pid) {
  int status = 0;
  pid_t r = ::waitpid(pid, &status, WNOHANG);
  return r == pid || (r < 0 && errno == ECHILD);
}

void stop_child(pid_t pid, int signal, std::chrono::milliseconds grace) {
  if (pid <= 0) return;
  ::kill(pid, signal);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (child_exited(pid)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

Result<int> pick_free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return io_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    ::close(fd);
    return io_error(std::string("bind 127.0.0.1:0: ") + std::strerror(err));
  }
  ::close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

bool port_accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

Result<std::string> make_temp_dir(const std::string& prefix, const std::string& owner) {
  std::string templ = "/tmp/" + prefix + "XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    return io_error("mkdtemp " + templ + ": " + std::strerror(errno));
  }
  std::string dir(buf.data());
  if (!owner.empty() && ::geteuid() == 0) {
    passwd* pw = ::getpwnam(owner.c_str());
    if (pw == nullptr) {
      remove_tree(dir);
      return failed_precondition("no system user '" + owner + "' to own " + dir);
    }
    if (::chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      int err = errno;
      remove_tree(dir);
      return io_error("chown " + dir + ": " + std::strerror(err));
    }
  }
  return dir;
}

void remove_tree(const std::string& path) {
  if (path.empty() || path == "/") return;
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::string file_tail(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "(no log)";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  return all.size() <= max_bytes ? all : all.substr(all.size() - max_bytes);
}

bool file_exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::string process_identity(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!in || !std::getline(in, stat)) return "";
  // Field 22 (starttime) counts from after the ")" that closes the command name.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && (fields >> field); ++i) {
  }
  return std::to_string(pid) + ":" + field;
}

void write_server_record(const ServerRecord& record) {
  ::mkdir(kRecordDir, 01777);
  std::ofstream out(record_path(record.data_dir), std::ios::trunc);
  out << record.kind << '\n'
      << record.owner_identity << '\n'
      << record.data_dir << '\n'
      << record.server_pid << '\n'
      << record.server_identity << '\n'
      << record.stop_command << '\n';
}

void remove_server_record(const std::string& data_dir) { ::unlink(record_path(data_dir).c_str()); }

int reap_orphaned_servers() {
  std::error_code ec;
  int stopped = 0;
  for (const auto& file : std::filesystem::directory_iterator(kRecordDir, ec)) {
    std::ifstream in(file.path());
    ServerRecord r;
    std::string pid;
    if (!std::getline(in, r.kind) || !std::getline(in, r.owner_identity) ||
        !std::getline(in, r.data_dir) || !std::getline(in, pid) ||
        !std::getline(in, r.server_identity) || !std::getline(in, r.stop_command)) {
      continue;  // being written right now, or foreign
    }
    if (identity_alive(r.owner_identity)) continue;
    r.server_pid = static_cast<pid_t>(std::atoll(pid.c_str()));
    if (r.kind == "redis" && r.server_pid > 0 && identity_alive(r.server_identity)) {
      ::kill(r.server_pid, SIGKILL);
    } else if (r.kind == "postgres" && file_exists(r.data_dir + "/data/postmaster.pid")) {
      std::vector<std::string> argv = {r.stop_command, "stop",      "-D", r.data_dir + "/data",
                                       "-m",           "immediate", "-w"};
      if (::geteuid() == 0) argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
      (void)run_command(argv, "/dev/null");
    }
    remove_tree(r.data_dir);
    std::filesystem::remove(file.path(), ec);
    ++stopped;
  }
  return stopped;
}

}  // namespace synod::test
