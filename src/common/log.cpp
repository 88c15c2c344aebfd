#include "common/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace tw::log {

void init(std::string_view level) {
  auto logger = spdlog::stderr_color_mt("tw");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %v");
  logger->set_level(spdlog::level::from_str(std::string(level)));
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace tw::log
