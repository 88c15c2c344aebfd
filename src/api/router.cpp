#include "api/router.h"

#include <array>
#include <vector>

namespace tw::api {

namespace {

using boost::beast::http::verb;

constexpr std::array kRoutes{
    Route{"/healthz", verb::get, Operation::kHealthz},
    Route{"/metrics", verb::get, Operation::kMetrics},
    Route{"/openapi.json", verb::get, Operation::kOpenApi},
    Route{"/v1/guilds/{guild}/templates", verb::get, Operation::kListTemplates},
    Route{"/v1/guilds/{guild}/templates/{name}", verb::put, Operation::kPutTemplate},
    Route{"/v1/guilds/{guild}/templates/{name}", verb::get, Operation::kGetTemplate},
    Route{"/v1/guilds/{guild}/templates/{name}", verb::delete_, Operation::kDeleteTemplate},
    Route{"/v1/guilds/{guild}/events", verb::post, Operation::kDispatchEvent},
    Route{"/v1/guilds/{guild}/exec", verb::post, Operation::kExec},
    Route{"/v1/vms", verb::get, Operation::kListVms},
    Route{"/v1/guilds/{guild}/vm", verb::get, Operation::kGetVm},
    Route{"/v1/guilds/{guild}/vm", verb::delete_, Operation::kDestroyVm},
};

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes one path segment. False on a malformed escape.
bool decodeSegment(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hexValue(in[i + 1]);
    const int lo = hexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

// Splits "/a/b/c" into {"a","b","c"}. An empty segment (a "//" or a trailing "/") stays empty, so such
// paths match nothing.
std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  if (path.empty() || path.front() != '/') return parts;
  std::size_t start = 1;
  while (true) {
    const std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      parts.push_back(path.substr(start));
      return parts;
    }
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
}

enum class PathMatch { kNo, kYes, kBadEscape };

PathMatch matchPattern(std::string_view pattern, const std::vector<std::string_view>& parts, RouteMatch& out) {
  const std::vector<std::string_view> want = splitPath(pattern);
  if (want.size() != parts.size()) return PathMatch::kNo;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i] == "{guild}" || want[i] == "{name}") {
      if (parts[i].empty()) return PathMatch::kNo;
      continue;
    }
    if (want[i] != parts[i]) return PathMatch::kNo;
  }
  for (std::size_t i = 0; i < want.size(); ++i) {
    std::string* slot = want[i] == "{guild}" ? &out.guild : want[i] == "{name}" ? &out.name : nullptr;
    if (slot != nullptr && !decodeSegment(parts[i], *slot)) return PathMatch::kBadEscape;
  }
  return PathMatch::kYes;
}

}  // namespace

std::span<const Route> routes() { return kRoutes; }

std::variant<RouteMatch, HttpError> matchRoute(Method method, std::string_view target) {
  std::string_view path = target;
  std::string_view query;
  if (const std::size_t q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }
  const std::vector<std::string_view> parts = splitPath(path);
  std::string allow;
  for (const Route& route : kRoutes) {
    RouteMatch match{route.operation, {}, {}, std::string(query)};
    switch (matchPattern(route.pattern, parts, match)) {
      case PathMatch::kNo: continue;
      case PathMatch::kBadEscape:
        return HttpError{400, "bad_input", "malformed percent-escape in the request path", {}};
      case PathMatch::kYes: break;
    }
    if (route.method == method) return match;
    if (!allow.empty()) allow += ", ";
    allow += boost::beast::http::to_string(route.method);
  }
  if (!allow.empty()) {
    return HttpError{405, std::string(kKindMethodNotAllowed),
                     std::string(boost::beast::http::to_string(method)) + " is not allowed here; allowed: " + allow,
                     allow};
  }
  return HttpError{404, "not_found", "no such route: " + std::string(path.substr(0, 200)), {}};
}

std::optional<std::string_view> queryParam(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

}  // namespace tw::api

namespace tw::api {

std::string_view operationName(Operation op) {
  switch (op) {
    case Operation::kHealthz: return "healthz";
    case Operation::kMetrics: return "metrics";
    case Operation::kOpenApi: return "openapi";
    case Operation::kListTemplates: return "list_templates";
    case Operation::kPutTemplate: return "put_template";
    case Operation::kGetTemplate: return "get_template";
    case Operation::kDeleteTemplate: return "delete_template";
    case Operation::kDispatchEvent: return "dispatch_event";
    case Operation::kExec: return "exec";
    case Operation::kListVms: return "list_vms";
    case Operation::kGetVm: return "get_vm";
    case Operation::kDestroyVm: return "destroy_vm";
  }
  return "unknown";
}

}  // namespace tw::api
