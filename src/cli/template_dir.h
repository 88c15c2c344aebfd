// Reading templates from disk for the CLI: a directory with init.lua (or init.luau), other .lua/.luau files
// and an optional template.toml (events, capabilities, paused), or a single .lua/.luau file.
//
// Threading: stateless.
#pragma once

#include <string>

#include "common/result.h"
#include "vm/template.h"

namespace tw::cli {

// Limits of what is read: at most 64 files, 1 MiB in all (the VM's defaults; it checks again).
Result<vm::TemplateSource> readTemplate(const std::string& path);

// Reads a whole file (at most maxBytes).
Result<std::string> readFile(const std::string& path, std::size_t maxBytes);

}  // namespace tw::cli
