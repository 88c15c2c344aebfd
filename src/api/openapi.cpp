#include "api/openapi.h"

namespace tw::api {

namespace {

constexpr std::string_view kDocument = R"json({
  "openapi": "3.0.3",
  "info": {
    "title": "template-worker HTTP API",
    "version": "1",
    "description": "Runs guild-owned Lua templates. Errors are {\"error\":{\"kind\",\"message\"}}. Guild ids are decimal snowflakes sent as strings. Timestamps are ISO-8601 UTC with milliseconds. When the server has a bearer token, every route except GET /healthz needs `Authorization: Bearer <token>`."
  },
  "security": [{"bearerAuth": []}],
  "paths": {
    "/healthz": {
      "get": {
        "operationId": "healthz",
        "summary": "Liveness and drain state; never needs a token.",
        "security": [],
        "responses": {
          "200": {"description": "Serving.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}, "example": {"status": "ok"}}}},
          "503": {"description": "Draining or broken.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}, "example": {"status": "draining"}}}}
        }
      }
    },
    "/metrics": {
      "get": {
        "operationId": "metrics",
        "summary": "Prometheus text exposition (version 0.0.4).",
        "responses": {
          "200": {"description": "Metrics.", "content": {"text/plain": {"schema": {"type": "string"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"}
        }
      }
    },
    "/openapi.json": {
      "get": {
        "operationId": "openapi",
        "summary": "This document.",
        "responses": {
          "200": {"description": "The OpenAPI document.", "content": {"application/json": {"schema": {"type": "object"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"}
        }
      }
    },
    "/v1/guilds/{guild}/templates": {
      "parameters": [{"$ref": "#/components/parameters/Guild"}],
      "get": {
        "operationId": "list_templates",
        "summary": "The guild's templates, without file contents, sorted by name.",
        "responses": {
          "200": {"description": "Summaries.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TemplateList"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "503": {"$ref": "#/components/responses/Unavailable"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      }
    },
    "/v1/guilds/{guild}/templates/{name}": {
      "parameters": [{"$ref": "#/components/parameters/Guild"}, {"$ref": "#/components/parameters/TemplateName"}],
      "put": {
        "operationId": "put_template",
        "summary": "Creates or replaces a template. Every file is compiled first; the guild's VM reloads.",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TemplateBody"}}}},
        "responses": {
          "200": {"description": "The stored template.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StoredTemplate"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "422": {"$ref": "#/components/responses/Unprocessable"},
          "503": {"$ref": "#/components/responses/Unavailable"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      },
      "get": {
        "operationId": "get_template",
        "summary": "One template with its files.",
        "responses": {
          "200": {"description": "The stored template.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StoredTemplate"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "503": {"$ref": "#/components/responses/Unavailable"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      },
      "delete": {
        "operationId": "delete_template",
        "summary": "Deletes a template; the guild's VM reloads.",
        "responses": {
          "200": {"description": "Deleted; the guild's new revision.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Deleted"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "503": {"$ref": "#/components/responses/Unavailable"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      }
    },
    "/v1/guilds/{guild}/events": {
      "parameters": [{"$ref": "#/components/parameters/Guild"}],
      "post": {
        "operationId": "dispatch_event",
        "summary": "Runs every unpaused template subscribed to the event. Waits for the results unless wait=false.",
        "parameters": [{"name": "wait", "in": "query", "required": false, "schema": {"type": "string", "enum": ["true", "false", "1", "0"], "default": "true"}, "description": "false: queue the event and answer 202 at once."}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventBody"}}}},
        "responses": {
          "200": {"description": "One result per template (kind still_running when the return wait ended first).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DispatchResults"}}}},
          "202": {"description": "Queued (wait=false).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "429": {"$ref": "#/components/responses/TooMany"},
          "503": {"$ref": "#/components/responses/Unavailable"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      }
    },
    "/v1/guilds/{guild}/exec": {
      "parameters": [{"$ref": "#/components/parameters/Guild"}],
      "post": {
        "operationId": "exec",
        "summary": "Runs ad-hoc code in the guild's VM, in an environment of its own per capability set.",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ExecBody"}}}},
        "responses": {
          "200": {"description": "One result object (without the template key); script errors are ok:false results.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Result"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "503": {"$ref": "#/components/responses/Unavailable"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      }
    },
    "/v1/vms": {
      "get": {
        "operationId": "list_vms",
        "summary": "Every resident guild VM.",
        "responses": {
          "200": {"description": "VMs.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VmList"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "503": {"$ref": "#/components/responses/Unavailable"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      }
    },
    "/v1/guilds/{guild}/vm": {
      "parameters": [{"$ref": "#/components/parameters/Guild"}],
      "get": {
        "operationId": "get_vm",
        "summary": "The guild's VM, when one is resident.",
        "responses": {
          "200": {"description": "The VM.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Vm"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "503": {"$ref": "#/components/responses/Unavailable"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      },
      "delete": {
        "operationId": "destroy_vm",
        "summary": "Destroys the guild's VM; the next event creates a fresh one.",
        "responses": {
          "200": {"description": "destroyed is false when no VM was resident.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Destroyed"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "503": {"$ref": "#/components/responses/Unavailable"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      }
    }
  },
  "components": {
    "securitySchemes": {
      "bearerAuth": {"type": "http", "scheme": "bearer", "description": "Required on every route except GET /healthz when the server is configured with a token (always, off loopback)."}
    },
    "parameters": {
      "Guild": {"name": "guild", "in": "path", "required": true, "description": "Discord snowflake: 1 to 20 decimal digits, no leading zero, not 0.", "schema": {"type": "string", "pattern": "^[1-9][0-9]{0,19}$"}},
      "TemplateName": {"name": "name", "in": "path", "required": true, "description": "1 to 64 chars of [A-Za-z0-9_.-], not . or ..", "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"}}
    },
    "schemas": {
      "ErrorKind": {"type": "string", "enum": ["syntax_error", "runtime_error", "memory_limit", "timeout", "capability_denied", "limit_exceeded", "bad_input", "not_found", "still_running", "upstream_error", "unavailable", "internal_error", "unauthorized", "method_not_allowed"]},
      "ErrorObject": {"type": "object", "required": ["kind", "message"], "properties": {"kind": {"$ref": "#/components/schemas/ErrorKind"}, "message": {"type": "string"}}},
      "Error": {"type": "object", "required": ["error"], "properties": {"error": {"$ref": "#/components/schemas/ErrorObject"}}, "example": {"error": {"kind": "bad_input", "message": "invalid guild id 'abc': a decimal snowflake (1 to 20 digits, not 0) is expected"}}},
      "Health": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string", "enum": ["ok", "draining"]}}},
      "TemplateBody": {
        "type": "object", "required": ["files"], "additionalProperties": false,
        "properties": {
          "files": {"type": "object", "description": "path -> source text; exactly one entry file, init.lua or init.luau.", "additionalProperties": {"type": "string"}},
          "events": {"type": "array", "items": {"type": "string"}, "description": "Subscribed event names, e.g. MESSAGE_CREATE."},
          "capabilities": {"type": "array", "items": {"type": "string"}, "description": "e.g. kv:read, kv:write, discord:*"},
          "paused": {"type": "boolean", "default": false}
        },
        "example": {"files": {"init.lua": "return function(event, ctx) return event.data.content end"}, "events": ["MESSAGE_CREATE"], "capabilities": ["kv:read", "kv:write"], "paused": false}
      },
      "StoredTemplate": {
        "type": "object", "required": ["guild", "name", "files", "events", "capabilities", "paused", "revision", "created_at", "updated_at"],
        "properties": {
          "guild": {"type": "string"},
          "name": {"type": "string"},
          "files": {"type": "object", "additionalProperties": {"type": "string"}},
          "events": {"type": "array", "items": {"type": "string"}},
          "capabilities": {"type": "array", "items": {"type": "string"}},
          "paused": {"type": "boolean"},
          "revision": {"type": "integer", "format": "int64", "description": "The guild's revision this put produced."},
          "created_at": {"type": "string", "format": "date-time"},
          "updated_at": {"type": "string", "format": "date-time"}
        }
      },
      "TemplateSummary": {
        "type": "object", "required": ["name", "file_paths", "events", "capabilities", "paused", "revision", "created_at", "updated_at"],
        "properties": {
          "name": {"type": "string"},
          "file_paths": {"type": "array", "items": {"type": "string"}},
          "events": {"type": "array", "items": {"type": "string"}},
          "capabilities": {"type": "array", "items": {"type": "string"}},
          "paused": {"type": "boolean"},
          "revision": {"type": "integer", "format": "int64"},
          "created_at": {"type": "string", "format": "date-time"},
          "updated_at": {"type": "string", "format": "date-time"}
        }
      },
      "TemplateList": {"type": "object", "required": ["guild", "templates"], "properties": {"guild": {"type": "string"}, "templates": {"type": "array", "items": {"$ref": "#/components/schemas/TemplateSummary"}}}},
      "Deleted": {"type": "object", "required": ["deleted", "revision"], "properties": {"deleted": {"type": "boolean", "enum": [true]}, "revision": {"type": "integer", "format": "int64"}}},
      "EventBody": {
        "type": "object", "required": ["name", "data"], "additionalProperties": false,
        "properties": {"name": {"type": "string", "pattern": "^[A-Z0-9_]{1,64}$"}, "data": {"description": "Any JSON value."}},
        "example": {"name": "MESSAGE_CREATE", "data": {"content": "!ping", "channel_id": "123"}}
      },
      "Result": {
        "type": "object", "required": ["ok"],
        "description": "The same object template-worker run prints: ok with value, or not ok with error.",
        "properties": {
          "template": {"type": "string", "description": "Absent on exec."},
          "ok": {"type": "boolean"},
          "value": {"description": "The handler's return value as JSON (ok only)."},
          "error": {"$ref": "#/components/schemas/ErrorObject"},
          "task_errors": {"type": "array", "items": {"$ref": "#/components/schemas/ErrorObject"}, "description": "Errors of background tasks the template started; present only when there are some."}
        }
      },
      "DispatchResults": {"type": "object", "required": ["results"], "properties": {"results": {"type": "array", "items": {"$ref": "#/components/schemas/Result"}}}, "example": {"results": [{"template": "a", "ok": true, "value": 2}, {"template": "b", "ok": false, "error": {"kind": "runtime_error", "message": "init.lua:3: boom"}}]}},
      "Accepted": {"type": "object", "required": ["accepted"], "properties": {"accepted": {"type": "boolean", "enum": [true]}}},
      "ExecBody": {
        "type": "object", "required": ["code"], "additionalProperties": false,
        "properties": {"code": {"type": "string"}, "language": {"type": "string", "enum": ["lua", "luau"], "default": "lua"}, "capabilities": {"type": "array", "items": {"type": "string"}}},
        "example": {"code": "return 1 + 1", "capabilities": ["kv:read"], "language": "lua"}
      },
      "Vm": {
        "type": "object", "required": ["guild", "worker", "state", "memory_bytes", "templates", "tasks", "created_at", "last_used_at"],
        "properties": {
          "guild": {"type": "string"},
          "worker": {"type": "integer"},
          "state": {"type": "string", "enum": ["loading", "ready", "broken"]},
          "memory_bytes": {"type": "integer", "format": "int64"},
          "templates": {"type": "integer"},
          "tasks": {"type": "integer", "description": "Coroutines running or waiting."},
          "created_at": {"type": "string", "format": "date-time"},
          "last_used_at": {"type": "string", "format": "date-time"}
        }
      },
      "VmList": {"type": "object", "required": ["vms"], "properties": {"vms": {"type": "array", "items": {"$ref": "#/components/schemas/Vm"}}}},
      "Destroyed": {"type": "object", "required": ["destroyed"], "properties": {"destroyed": {"type": "boolean"}}}
    },
    "responses": {
      "BadRequest": {"description": "bad_input: malformed JSON, an invalid guild id or template name, a body of the wrong shape.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unauthorized": {"description": "unauthorized: a token is configured and the request lacks it.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "NotFound": {"description": "not_found: no such template, VM or route.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "TooLarge": {"description": "limit_exceeded: the body, the template or the event data is over a limit.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unprocessable": {"description": "syntax_error (with the compiler's message) or another script error.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "TooMany": {"description": "limit_exceeded: the node is at a capacity bound (e.g. thread-per-guild workers).", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unavailable": {"description": "unavailable: the node is draining or cannot take the work now.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Internal": {"description": "internal_error: details are in the server log.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    }
  }
}
)json";

}  // namespace

std::string_view openApiDocument() { return kDocument; }

}  // namespace tw::api
