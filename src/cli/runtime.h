// What the CLI commands share: the worker stack size and the result JSON.
//
// Threading: stateless.
#pragma once

#include <cstddef>
#include <string>

#include "vm/template.h"

namespace tw::cli {

inline constexpr std::size_t kWorkerStackBytes = std::size_t{20} << 20;  // the seed's MAX_VM_THREAD_STACK_SIZE

// One result object: {"template":...,"ok":true,"value":...} or {...,"ok":false,"error":{kind,message}}.
std::string outcomeJson(const vm::TemplateOutcome& outcome, bool withTemplate);

}  // namespace tw::cli
