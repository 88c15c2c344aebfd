// Router: the table of every route the API serves, and matching of (method, target) against it. Pure: no
// sockets, no Service.
//
// Threading: immutable data and pure functions; safe from any thread.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "api/types.h"

namespace tw::api {

struct Route {
  std::string_view pattern;  // OpenAPI path template, e.g. "/v1/guilds/{guild}/templates/{name}"
  Method method;
  Operation operation;
};

// Every route, in the order the API documents them.
std::span<const Route> routes();

// A matched route with its path parameters (percent-decoded, not yet validated) and raw query string.
struct RouteMatch {
  Operation operation;
  std::string guild;  // {guild}, when the route has it
  std::string name;   // {name}, when the route has it
  std::string query;  // after '?', without it
};

// Matches a request target ("/path?query"). Errors: 404 (no such path), 405 with `allow` set (the path
// exists, the method does not), 400 (a malformed percent-escape in a path parameter).
std::variant<RouteMatch, HttpError> matchRoute(Method method, std::string_view target);

// The value of `key` in a query string ("a=1&b=2"); nullopt when absent. No percent-decoding: the
// parameters this API knows take plain tokens.
std::optional<std::string_view> queryParam(std::string_view query, std::string_view key);

}  // namespace tw::api
