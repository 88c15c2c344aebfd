#include "api/api_handler.h"

#include <exception>
#include <utility>

#include "api/auth.h"
#include "api/openapi.h"
#include "api/responses.h"
#include "api/router.h"
#include "common/log.h"

namespace tw::api {

namespace {

template <typename... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <typename... F>
Overloaded(F...) -> Overloaded<F...>;

// A Service callback that hops back to the connection, then renders with `render` (or the error).
template <typename T, typename Render>
service::Callback<T> completion(Operation op, const Hop& hop, Reply reply, Render render) {
  return [op, hop, reply = std::move(reply), render = std::move(render)](Result<T> result) {
    hop([op, reply, render, result = std::move(result)]() {
      if (!result.ok()) {
        if (result.error().kind == ErrorKind::kInternal) {
          TW_LOG_ERROR("api: {} failed: {}", operationName(op), result.error().message);
        }
        reply(errorResponse(fromServiceError(result.error(), op)));
        return;
      }
      reply(render(result.value()));
    });
  };
}

constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace

std::variant<Call, HttpError> prepareCall(const ApiRequest& request, std::string_view bearerToken,
                                          const service::ServiceLimits& limits) {
  auto match = matchRoute(request.method, request.target);
  const auto* route = std::get_if<RouteMatch>(&match);
  const bool isHealthz = route != nullptr && route->operation == Operation::kHealthz;
  if (!bearerToken.empty() && !isHealthz && !bearerAuthorized(request.authorization, bearerToken)) {
    return HttpError{401, std::string(kKindUnauthorized),
                     request.authorization.empty() ? "this server requires Authorization: Bearer <token>"
                                                   : "the bearer token is not valid",
                     {}};
  }
  if (route == nullptr) return std::get<HttpError>(std::move(match));
  return mapRequest(*route, request.body, limits);
}

ApiHandler::ApiHandler(service::Service& service, Options options)
    : service_(service), options_(std::move(options)) {}

void ApiHandler::handle(const ApiRequest& request, const Hop& hop, Reply reply) const {
  auto prepared = prepareCall(request, options_.bearerToken, service_.limits());
  if (auto* error = std::get_if<HttpError>(&prepared)) {
    reply(errorResponse(*error));
    return;
  }
  call(std::get<Call>(std::move(prepared)), hop, std::move(reply));
}

void ApiHandler::call(Call c, const Hop& hop, Reply reply) const {
  std::visit(
      Overloaded{
          [&](HealthzCall) {
            reply(service_.healthy() ? jsonResponse(200, R"({"status":"ok"})")
                                     : jsonResponse(503, R"({"status":"draining"})"));
          },
          [&](MetricsCall) {
            ApiResponse r;
            r.body = service_.metricsText();
            if (options_.extraMetrics) r.body += options_.extraMetrics();
            r.contentType = std::string(kPrometheusContentType);
            reply(std::move(r));
          },
          [&](OpenApiCall) { reply(jsonResponse(200, std::string(openApiDocument()))); },
          [&](ListTemplatesCall& x) {
            service_.listTemplates(
                x.guild, completion<std::vector<storage::TemplateSummary>>(
                             Operation::kListTemplates, hop, std::move(reply), [g = x.guild](const auto& list) {
                               return jsonResponse(200, renderTemplateList(g, list));
                             }));
          },
          [&](PutTemplateCall& x) {
            service_.putTemplate(x.guild, std::move(x.spec),
                                 completion<storage::StoredTemplate>(
                                     Operation::kPutTemplate, hop, std::move(reply),
                                     [g = x.guild](const auto& t) { return jsonResponse(200, renderStoredTemplate(g, t)); }));
          },
          [&](GetTemplateCall& x) {
            service_.getTemplate(x.guild, std::move(x.name),
                                 completion<storage::StoredTemplate>(
                                     Operation::kGetTemplate, hop, std::move(reply),
                                     [g = x.guild](const auto& t) { return jsonResponse(200, renderStoredTemplate(g, t)); }));
          },
          [&](DeleteTemplateCall& x) {
            service_.deleteTemplate(x.guild, std::move(x.name),
                                    completion<storage::Revision>(Operation::kDeleteTemplate, hop, std::move(reply),
                                                                  [](storage::Revision rev) {
                                                                    return jsonResponse(200, renderDeleted(rev));
                                                                  }));
          },
          [&](DispatchEventCall& x) {
            if (x.wait) {
              service_.dispatch(x.guild, std::move(x.event),
                                completion<service::DispatchReply>(
                                    Operation::kDispatchEvent, hop, std::move(reply), [](const auto& d) {
                                      return jsonResponse(200, renderDispatchResults(d.outcomes));
                                    }));
              return;
            }
            service_.dispatchInBackground(
                x.guild, std::move(x.event),
                completion<bool>(Operation::kDispatchEvent, hop, std::move(reply), [](bool accepted) {
                  if (accepted) return jsonResponse(202, R"({"accepted":true})");
                  return errorResponse(
                      HttpError{503, std::string(kindName(ErrorKind::kUnavailable)), "the event was not accepted", {}});
                }));
          },
          [&](ExecCall& x) {
            service_.exec(x.guild, std::move(x.request),
                          completion<vm::TemplateOutcome>(Operation::kExec, hop, std::move(reply), [](const auto& o) {
                            return jsonResponse(200, renderOutcome(o, false));
                          }));
          },
          [&](ListVmsCall) {
            service_.listVms(completion<std::vector<service::VmInfo>>(
                Operation::kListVms, hop, std::move(reply),
                [](const auto& vms) { return jsonResponse(200, renderVmList(vms)); }));
          },
          [&](GetVmCall& x) {
            service_.getVm(x.guild, completion<service::VmInfo>(Operation::kGetVm, hop, std::move(reply),
                                                                [](const auto& vm) {
                                                                  return jsonResponse(200, renderVm(vm));
                                                                }));
          },
          [&](DestroyVmCall& x) {
            service_.destroyVm(x.guild, completion<bool>(Operation::kDestroyVm, hop, std::move(reply), [](bool d) {
                                 return jsonResponse(200, d ? R"({"destroyed":true})" : R"({"destroyed":false})");
                               }));
          },
      },
      c);
}

}  // namespace tw::api
