#include "app/logging.hpp"

#include "http/request_context.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace vestibule::app {

namespace {

class RequestIdFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const auto id = http::current_request_id();
    dest.append(id.data(), id.data() + id.size());
  }
  [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<RequestIdFlag>();
  }
};

// The message as a JSON string (quoted and escaped), for JSON lines.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const auto text = nlohmann::json(std::string(msg.payload.data(), msg.payload.size()))
                          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(text.data(), text.data() + text.size());
  }
  [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

}  // namespace

void setup_logging(const std::string& level, const std::string& format) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<RequestIdFlag>('Q').add_flag<JsonMessageFlag>('J');
  if (format == "json") {
    formatter->set_pattern(
        R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"%n","request_id":"%Q","msg":%J})");
  } else {
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %-5l [%n] rid=%Q %v");
  }
  sink->set_formatter(std::move(formatter));
  spdlog::drop_all();
  auto main_logger = std::make_shared<spdlog::logger>("vestibule", sink);
  // Access lines are already whole records (a JSON object each with http.access_log = "json"):
  // in JSON logs they are written as they are, not wrapped again as the "msg" of another record.
  auto access_sink = sink;
  if (format == "json") {
    access_sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    access_sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(
        "%v", spdlog::pattern_time_type::utc, std::string("\n")));
  }
  auto access_logger = std::make_shared<spdlog::logger>("access", access_sink);
  const auto lvl = spdlog::level::from_str(level);
  main_logger->set_level(lvl);
  access_logger->set_level(spdlog::level::info);
  spdlog::register_logger(access_logger);
  spdlog::set_default_logger(main_logger);
}

}  // namespace vestibule::app
