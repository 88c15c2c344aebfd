// Responses: the JSON the API writes, and the HTTP status of every error. Pure functions over the Service's
// value types; no sockets.
//
// Timestamps are ISO-8601 UTC strings with milliseconds ("2026-11-25T20:42:37.123Z"); guild ids are decimal
// strings (snowflakes do not fit a JSON double).
//
// Threading: stateless; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/types.h"
#include "common/ids.h"
#include "common/result.h"
#include "service/service.h"
#include "storage/storage.h"
#include "vm/template.h"

namespace tw::api {

// The HTTP status for an error kind the Service returned to `op`:
//   kBadInput 400, kSyntaxError 422, kNotFound 404, kUnavailable 503, kInternal 500, kUpstream 502,
//   kTimeout and kStillRunning 504, the other script kinds 422,
//   kLimitExceeded 413 for operations whose request carries the content (put template, exec, event) and
//   429 for the rest.
unsigned statusFor(ErrorKind kind, Operation op);

// The HttpError for a Service error. kInternal gets a generic message (log the original).
HttpError fromServiceError(const Error& error, Operation op);

// {"error":{"kind":...,"message":...}} with the error's status (and Allow / WWW-Authenticate as fits).
ApiResponse errorResponse(const HttpError& error);
ApiResponse jsonResponse(unsigned status, std::string body);

// One result object, byte-for-byte the shape `template-worker run` prints (cli::outcomeJson):
// {"template":"a","ok":true,"value":<json>} or {..."ok":false,"error":{"kind":...,"message":...}}, with
// "task_errors":[{kind,message}...] when there are any. withTemplate=false leaves the "template" key out
// (exec).
std::string renderOutcome(const vm::TemplateOutcome& outcome, bool withTemplate);
// {"results":[<outcome>...]}
std::string renderDispatchResults(const std::vector<vm::TemplateOutcome>& outcomes);

// {"guild":"1","name":"a","files":{...},"events":[...],"capabilities":[...],"paused":false,"revision":3,
//  "created_at":"...","updated_at":"..."}
std::string renderStoredTemplate(GuildId guild, const storage::StoredTemplate& stored);
// {"guild":"1","templates":[{"name","file_paths","events","capabilities","paused","revision","created_at",
//  "updated_at"}...]}
std::string renderTemplateList(GuildId guild, const std::vector<storage::TemplateSummary>& summaries);
// {"deleted":true,"revision":N}
std::string renderDeleted(storage::Revision revision);

// {"guild":"1","worker":0,"state":"ready","memory_bytes":N,"templates":N,"tasks":N,"created_at":"...",
//  "last_used_at":"..."}
std::string renderVm(const service::VmInfo& vm);
// {"vms":[<vm>...]}
std::string renderVmList(const std::vector<service::VmInfo>& vms);

// "2026-11-25T20:42:37.123Z" for milliseconds since the Unix epoch.
std::string isoTimestamp(std::int64_t msSinceEpoch);

}  // namespace tw::api
