// Logging: spdlog behind one header so the sink and format are decided in one place (stderr, never stdout:
// stdout belongs to the CLI's JSON contract).
//
// Threading: thread-safe.
#pragma once

#include <spdlog/spdlog.h>

namespace tw::log {

// Sets up the process logger on stderr. level: trace, debug, info, warn, error, off. Default: info.
void init(std::string_view level);

}  // namespace tw::log

#define TW_LOG_TRACE(...) SPDLOG_TRACE(__VA_ARGS__)
#define TW_LOG_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
#define TW_LOG_INFO(...) ::spdlog::info(__VA_ARGS__)
#define TW_LOG_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define TW_LOG_ERROR(...) ::spdlog::error(__VA_ARGS__)
