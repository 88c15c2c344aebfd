// Requests: from a matched route and its body to one Service call with validated arguments. Pure: no
// sockets, no Service; every function here is unit-tested on its own.
//
// Threading: stateless; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "api/router.h"
#include "api/types.h"
#include "common/ids.h"
#include "common/result.h"
#include "events/event.h"
#include "service/service.h"
#include "storage/storage.h"

namespace tw::api {

// Answered by the API itself, without the Service's workers.
struct HealthzCall {};
struct MetricsCall {};
struct OpenApiCall {};
// One per Service method.
struct ListTemplatesCall { GuildId guild; };
struct PutTemplateCall { GuildId guild; storage::Template spec; };
struct GetTemplateCall { GuildId guild; std::string name; };
struct DeleteTemplateCall { GuildId guild; std::string name; };
struct DispatchEventCall { GuildId guild; events::Event event; bool wait = true; };
struct ExecCall { GuildId guild; service::ExecRequest request; };
struct ListVmsCall {};
struct GetVmCall { GuildId guild; };
struct DestroyVmCall { GuildId guild; };

using Call = std::variant<HealthzCall, MetricsCall, OpenApiCall, ListTemplatesCall, PutTemplateCall,
                          GetTemplateCall, DeleteTemplateCall, DispatchEventCall, ExecCall, ListVmsCall,
                          GetVmCall, DestroyVmCall>;

// Validates the route's parameters and parses the body of `match.operation` into its Call.
// Errors: 400 (bad guild id, template name, JSON, body shape, query), 413 (body or event data too large).
std::variant<Call, HttpError> mapRequest(const RouteMatch& match, std::string_view body,
                                         const service::ServiceLimits& limits);

// A decimal snowflake (parseGuildId); kBadInput otherwise.
Result<GuildId> parseGuildParam(std::string_view text);

// The body of PUT /v1/guilds/{guild}/templates/{name}:
//   {"files":{"init.lua":"..."},"events":["MESSAGE_CREATE"],"capabilities":["kv:read"],"paused":false}
// `files` is required; the rest is optional. Unknown keys are refused (a typo must not pass silently).
// Checks the shape and the name here; sizes, paths and entry files are checked by the Service with the
// storage limits it runs with (storage::validateTemplate).
Result<storage::Template> parseTemplateBody(std::string_view name, std::string_view body);

// The body of POST /v1/guilds/{guild}/exec: {"code":"...","capabilities":[...],"language":"lua"|"luau"}.
// `code` is required; `language` defaults to "lua", `capabilities` to none.
Result<service::ExecRequest> parseExecBody(std::string_view body);

// The `wait` query parameter of POST .../events: absent, "true" or "1" -> true; "false" or "0" -> false.
Result<bool> parseWaitParam(std::string_view query);

}  // namespace tw::api
