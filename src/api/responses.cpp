#include "api/responses.h"

#include <chrono>
#include <cstdio>

#include "common/json_text.h"

namespace tw::api {

namespace {

void appendStringArray(std::string& out, const storage::NameSet& names) {
  out += '[';
  bool first = true;
  for (const std::string& n : names) {
    if (!first) out += ',';
    first = false;
    appendJsonString(out, n);
  }
  out += ']';
}

void appendMeta(std::string& out, const storage::TemplateMeta& meta) {
  out += ",\"revision\":";
  out += std::to_string(meta.revision);
  out += ",\"created_at\":";
  appendJsonString(out, isoTimestamp(meta.createdAt.time_since_epoch().count()));
  out += ",\"updated_at\":";
  appendJsonString(out, isoTimestamp(meta.updatedAt.time_since_epoch().count()));
}

void appendErrorObject(std::string& out, std::string_view kind, std::string_view message) {
  out += "{\"kind\":";
  appendJsonString(out, kind);
  out += ",\"message\":";
  appendJsonString(out, message);
  out += '}';
}

bool carriesContent(Operation op) {
  return op == Operation::kPutTemplate || op == Operation::kExec || op == Operation::kDispatchEvent;
}

}  // namespace

unsigned statusFor(ErrorKind kind, Operation op) {
  switch (kind) {
    case ErrorKind::kBadInput: return 400;
    case ErrorKind::kNotFound: return 404;
    case ErrorKind::kSyntaxError: return 422;
    case ErrorKind::kRuntimeError:
    case ErrorKind::kMemoryLimit:
    case ErrorKind::kCapabilityDenied: return 422;
    case ErrorKind::kLimitExceeded: return carriesContent(op) ? 413 : 429;
    case ErrorKind::kTimeout:
    case ErrorKind::kStillRunning: return 504;
    case ErrorKind::kUpstream: return 502;
    case ErrorKind::kUnavailable: return 503;
    case ErrorKind::kInternal: return 500;
  }
  return 500;
}

HttpError fromServiceError(const Error& error, Operation op) {
  HttpError out;
  out.status = statusFor(error.kind, op);
  out.kind = std::string(kindName(error.kind));
  out.message = error.kind == ErrorKind::kInternal ? "internal error (details are in the server log)"
                                                   : error.message;
  return out;
}

ApiResponse jsonResponse(unsigned status, std::string body) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

ApiResponse errorResponse(const HttpError& error) {
  std::string body = "{\"error\":";
  appendErrorObject(body, error.kind, error.message);
  body += '}';
  ApiResponse r = jsonResponse(error.status, std::move(body));
  r.allow = error.allow;
  r.bearerChallenge = error.status == 401;
  return r;
}

std::string renderOutcome(const vm::TemplateOutcome& o, bool withTemplate) {
  std::string out = "{";
  if (withTemplate) {
    out += "\"template\":";
    appendJsonString(out, o.templateName);
    out += ",";
  }
  if (o.ok) {
    out += "\"ok\":true,\"value\":";
    out += o.valueJson;
  } else {
    out += "\"ok\":false,\"error\":";
    appendErrorObject(out, kindName(o.error.kind), o.error.message);
  }
  if (!o.taskErrors.empty()) {
    out += ",\"task_errors\":[";
    for (std::size_t i = 0; i < o.taskErrors.size(); ++i) {
      if (i > 0) out += ",";
      appendErrorObject(out, kindName(o.taskErrors[i].kind), o.taskErrors[i].message);
    }
    out += "]";
  }
  out += "}";
  return out;
}

std::string renderDispatchResults(const std::vector<vm::TemplateOutcome>& outcomes) {
  std::string out = "{\"results\":[";
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    if (i > 0) out += ',';
    out += renderOutcome(outcomes[i], true);
  }
  out += "]}";
  return out;
}

std::string renderStoredTemplate(GuildId guild, const storage::StoredTemplate& stored) {
  const storage::Template& spec = stored.spec;
  std::string out = "{\"guild\":";
  appendJsonString(out, guild.toString());
  out += ",\"name\":";
  appendJsonString(out, spec.name);
  out += ",\"files\":{";
  bool first = true;
  for (const auto& [path, text] : spec.files) {
    if (!first) out += ',';
    first = false;
    appendJsonString(out, path);
    out += ':';
    appendJsonString(out, text);
  }
  out += "},\"events\":";
  appendStringArray(out, spec.events);
  out += ",\"capabilities\":";
  appendStringArray(out, spec.capabilities);
  out += spec.paused ? ",\"paused\":true" : ",\"paused\":false";
  appendMeta(out, stored.meta);
  out += '}';
  return out;
}

std::string renderTemplateList(GuildId guild, const std::vector<storage::TemplateSummary>& summaries) {
  std::string out = "{\"guild\":";
  appendJsonString(out, guild.toString());
  out += ",\"templates\":[";
  for (std::size_t i = 0; i < summaries.size(); ++i) {
    const storage::TemplateSummary& s = summaries[i];
    if (i > 0) out += ',';
    out += "{\"name\":";
    appendJsonString(out, s.name);
    out += ",\"file_paths\":[";
    for (std::size_t j = 0; j < s.filePaths.size(); ++j) {
      if (j > 0) out += ',';
      appendJsonString(out, s.filePaths[j]);
    }
    out += "],\"events\":";
    appendStringArray(out, s.events);
    out += ",\"capabilities\":";
    appendStringArray(out, s.capabilities);
    out += s.paused ? ",\"paused\":true" : ",\"paused\":false";
    appendMeta(out, s.meta);
    out += '}';
  }
  out += "]}";
  return out;
}

std::string renderDeleted(storage::Revision revision) {
  return "{\"deleted\":true,\"revision\":" + std::to_string(revision) + "}";
}

std::string renderVm(const service::VmInfo& vm) {
  std::string out = "{\"guild\":";
  appendJsonString(out, vm.guild.toString());
  out += ",\"worker\":" + std::to_string(vm.worker);
  out += ",\"state\":";
  appendJsonString(out, vm.state);
  out += ",\"memory_bytes\":" + std::to_string(vm.memoryBytes);
  out += ",\"templates\":" + std::to_string(vm.templates);
  out += ",\"tasks\":" + std::to_string(vm.tasks);
  out += ",\"created_at\":";
  appendJsonString(out, isoTimestamp(vm.createdAtMs));
  out += ",\"last_used_at\":";
  appendJsonString(out, isoTimestamp(vm.lastUsedAtMs));
  out += '}';
  return out;
}

std::string renderVmList(const std::vector<service::VmInfo>& vms) {
  std::string out = "{\"vms\":[";
  for (std::size_t i = 0; i < vms.size(); ++i) {
    if (i > 0) out += ',';
    out += renderVm(vms[i]);
  }
  out += "]}";
  return out;
}

std::string isoTimestamp(std::int64_t msSinceEpoch) {
  using namespace std::chrono;
  const sys_time<milliseconds> tp{milliseconds{msSinceEpoch}};
  const sys_days day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> tod{tp - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                static_cast<int>(tod.seconds().count()), static_cast<int>(tod.subseconds().count()));
  return buf;
}

}  // namespace tw::api
