#include "api/requests.h"

#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>

#include <fmt/format.h>

#include "api/responses.h"

namespace tw::api {

namespace {

namespace json = boost::json;

// Nesting allowed in template and exec bodies (they are shallow: an object of strings and arrays).
constexpr std::size_t kMaxBodyDepth = 16;

Error badInput(std::string message) { return makeError(ErrorKind::kBadInput, std::move(message)); }

// Parses one strict JSON value; the error names the offset.
Result<json::value> parseJson(std::string_view what, std::string_view body) {
  json::parse_options options;
  options.max_depth = kMaxBodyDepth;
  json::stream_parser parser({}, options);
  boost::system::error_code ec;
  const std::size_t used = parser.write_some(body.data(), body.size(), ec);
  if (!ec) parser.finish(ec);
  if (!ec && used != body.size()) ec = json::error::extra_data;
  if (ec) {
    return badInput(fmt::format("{}: malformed JSON at offset {}: {}", what, used, ec.message()));
  }
  return parser.release();
}

Result<storage::NameSet> parseStringSet(std::string_view what, const json::value& v) {
  if (!v.is_array()) return badInput(fmt::format("{} must be an array of strings", what));
  storage::NameSet out;
  for (const json::value& item : v.get_array()) {
    if (!item.is_string()) return badInput(fmt::format("{} must be an array of strings", what));
    out.emplace(item.get_string());
  }
  return out;
}

HttpError toHttpError(const Error& error, Operation op) {
  return HttpError{statusFor(error.kind, op), std::string(kindName(error.kind)), error.message, {}};
}

}  // namespace

Result<GuildId> parseGuildParam(std::string_view text) {
  if (auto id = parseGuildId(text)) return *id;
  return badInput(fmt::format("invalid guild id '{}': a decimal snowflake (1 to 20 digits, not 0) is expected",
                              text.substr(0, 40)));
}

Result<storage::Template> parseTemplateBody(std::string_view name, std::string_view body) {
  if (Status s = storage::validateTemplateName(name); !s) return s.error();
  auto parsed = parseJson("template body", body);
  if (!parsed) return std::move(parsed).error();
  if (!parsed->is_object()) return badInput("template body must be a JSON object");
  storage::Template spec;
  spec.name = std::string(name);
  bool sawFiles = false;
  for (const auto& [key, value] : parsed->get_object()) {
    if (key == "files") {
      if (!value.is_object()) return badInput("template body: \"files\" must be an object of path -> source text");
      for (const auto& [path, text] : value.get_object()) {
        if (!text.is_string()) {
          return badInput(fmt::format("template body: file '{}' must be a string of source text",
                                      std::string_view(path).substr(0, 128)));
        }
        spec.files.insert_or_assign(std::string(path), std::string(text.get_string()));
      }
      sawFiles = true;
    } else if (key == "events") {
      auto events = parseStringSet("template body: \"events\"", value);
      if (!events) return std::move(events).error();
      spec.events = std::move(events).value();
    } else if (key == "capabilities") {
      auto caps = parseStringSet("template body: \"capabilities\"", value);
      if (!caps) return std::move(caps).error();
      spec.capabilities = std::move(caps).value();
    } else if (key == "paused") {
      if (!value.is_bool()) return badInput("template body: \"paused\" must be true or false");
      spec.paused = value.get_bool();
    } else {
      return badInput(fmt::format("template body: unknown key \"{}\" (allowed: files, events, capabilities, paused)",
                                  std::string_view(key).substr(0, 64)));
    }
  }
  if (!sawFiles) return badInput("template body: \"files\" is required, e.g. {\"files\":{\"init.lua\":\"...\"}}");
  if (spec.files.empty()) return badInput("template body: \"files\" needs an entry file, init.lua or init.luau");
  return spec;
}

Result<service::ExecRequest> parseExecBody(std::string_view body) {
  auto parsed = parseJson("exec body", body);
  if (!parsed) return std::move(parsed).error();
  if (!parsed->is_object()) return badInput("exec body must be a JSON object");
  service::ExecRequest request;
  bool sawCode = false;
  for (const auto& [key, value] : parsed->get_object()) {
    if (key == "code") {
      if (!value.is_string()) return badInput("exec body: \"code\" must be a string");
      request.code = std::string(value.get_string());
      sawCode = true;
    } else if (key == "language") {
      if (!value.is_string() || (value.get_string() != "lua" && value.get_string() != "luau")) {
        return badInput("exec body: \"language\" must be \"lua\" or \"luau\"");
      }
      request.language = std::string(value.get_string());
    } else if (key == "capabilities") {
      auto caps = parseStringSet("exec body: \"capabilities\"", value);
      if (!caps) return std::move(caps).error();
      request.capabilities.assign(caps->begin(), caps->end());
    } else {
      return badInput(fmt::format("exec body: unknown key \"{}\" (allowed: code, language, capabilities)",
                                  std::string_view(key).substr(0, 64)));
    }
  }
  if (!sawCode) return badInput("exec body: \"code\" is required");
  return request;
}

Result<bool> parseWaitParam(std::string_view query) {
  const std::optional<std::string_view> wait = queryParam(query, "wait");
  if (!wait || *wait == "true" || *wait == "1") return true;
  if (*wait == "false" || *wait == "0") return false;
  return badInput(fmt::format("query parameter wait must be true or false, not '{}'", wait->substr(0, 40)));
}

std::variant<Call, HttpError> mapRequest(const RouteMatch& match, std::string_view body,
                                         const service::ServiceLimits& limits) {
  const Operation op = match.operation;
  if (body.size() > limits.maxBodyBytes) {
    return HttpError{413, std::string(kindName(ErrorKind::kLimitExceeded)),
                     fmt::format("request body is {} bytes; the limit is {}", body.size(), limits.maxBodyBytes),
                     {}};
  }
  switch (op) {
    case Operation::kHealthz: return Call{HealthzCall{}};
    case Operation::kMetrics: return Call{MetricsCall{}};
    case Operation::kOpenApi: return Call{OpenApiCall{}};
    case Operation::kListVms: return Call{ListVmsCall{}};
    default: break;
  }
  auto guild = parseGuildParam(match.guild);
  if (!guild) return toHttpError(guild.error(), op);
  switch (op) {
    case Operation::kListTemplates: return Call{ListTemplatesCall{*guild}};
    case Operation::kPutTemplate: {
      auto spec = parseTemplateBody(match.name, body);
      if (!spec) return toHttpError(spec.error(), op);
      return Call{PutTemplateCall{*guild, std::move(spec).value()}};
    }
    case Operation::kGetTemplate:
    case Operation::kDeleteTemplate: {
      if (Status s = storage::validateTemplateName(match.name); !s) return toHttpError(s.error(), op);
      if (op == Operation::kGetTemplate) return Call{GetTemplateCall{*guild, match.name}};
      return Call{DeleteTemplateCall{*guild, match.name}};
    }
    case Operation::kDispatchEvent: {
      auto wait = parseWaitParam(match.query);
      if (!wait) return toHttpError(wait.error(), op);
      events::EventLimits eventLimits;
      eventLimits.maxDataBytes = limits.maxBodyBytes;
      auto event = events::parseEvent(body, eventLimits);
      if (!event) return toHttpError(event.error(), op);
      return Call{DispatchEventCall{*guild, std::move(event).value(), *wait}};
    }
    case Operation::kExec: {
      auto request = parseExecBody(body);
      if (!request) return toHttpError(request.error(), op);
      return Call{ExecCall{*guild, std::move(request).value()}};
    }
    case Operation::kGetVm: return Call{GetVmCall{*guild}};
    case Operation::kDestroyVm: return Call{DestroyVmCall{*guild}};
    default: break;
  }
  return HttpError{500, std::string(kindName(ErrorKind::kInternal)), "unmapped route", {}};
}

}  // namespace tw::api
