#include "node/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace synod::node {
namespace {

// Writes {"ts":..,"level":..,"node":..,"msg":..} per line. JSON escaping of
// the message is done by nlohmann::json, so any text is safe to log.
class JsonFormatter final : public spdlog::formatter {
 public:
  explicit JsonFormatter(std::string node) : node_(std::move(node)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using namespace std::chrono;
    const auto since_epoch = msg.time.time_since_epoch();
    const auto millis = duration_cast<milliseconds>(since_epoch).count();
    nlohmann::json line = {
        {"ts", format_iso8601(msg.time)},
        {"ts_ms", millis},
        {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                              spdlog::level::to_string_view(msg.level).size())},
        {"node", node_},
        {"msg", std::string(msg.payload.data(), msg.payload.size())},
    };
    const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>(node_);
  }

 private:
  static std::string format_iso8601(spdlog::log_clock::time_point tp) {
    const std::time_t secs = spdlog::log_clock::to_time_t(tp);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[96];
    std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(millis));
    return buf;
  }
  std::string node_;
};

}  // namespace

Status init_logging(const config::LogSection& log, const std::string& node_label) {
  const auto level = spdlog::level::from_str(log.level);
  if (level == spdlog::level::off && log.level != "off") {
    return invalid_argument("log.level: unknown level \"" + log.level + "\"");
  }
  spdlog::sink_ptr sink;
  try {
    if (log.file.empty()) {
      sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    } else {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(log.file, /*truncate=*/false);
    }
  } catch (const spdlog::spdlog_ex& e) {
    return io_error("log.file: cannot open \"" + log.file + "\": " + e.what());
  }
  auto logger = std::make_shared<spdlog::logger>("synod", sink);
  if (log.format == "json") {
    logger->set_formatter(std::make_unique<JsonFormatter>(node_label));
  } else if (log.format == "text") {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [" + node_label + "] %v");
  } else {
    return invalid_argument("log.format: must be text or json, got \"" + log.format + "\"");
  }
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
  return Status::ok();
}

void init_cli_logging(bool verbose) {
  auto logger = std::make_shared<spdlog::logger>(
      "synod", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  logger->set_pattern("%^%l%$: %v");
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

}  // namespace synod::node
