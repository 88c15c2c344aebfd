#include "luau/luau.h"

#include "luau/arena.h"
#include "luau/lexer.h"
#include "luau/lowering.h"
#include "luau/parser.h"

namespace tw::luau {
namespace {

SyntaxError locate(std::string_view source, std::uint32_t offset, std::string_view chunkName, std::string message) {
  if (offset > source.size()) offset = static_cast<std::uint32_t>(source.size());
  std::uint32_t line = 1;
  std::size_t lineStart = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (source[i] == '\n') {
      ++line;
      lineStart = i + 1;
    }
  }
  std::uint32_t column = 1;
  for (std::size_t i = lineStart; i < offset; ++i) {
    if ((static_cast<unsigned char>(source[i]) & 0xC0) != 0x80) ++column;
  }
  return SyntaxError{std::string(chunkName), line, column, std::move(message)};
}

constexpr std::size_t kKeepBufferBytes = std::size_t{1} << 20;

}  // namespace

std::string SyntaxError::toString() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

Result<std::string> lower(std::string_view source, std::string_view chunkName, const Options& options, SyntaxError* where) {
  auto fail = [&](std::uint32_t offset, std::string message) -> Result<std::string> {
    SyntaxError error = locate(source, offset, chunkName, std::move(message));
    std::string text = error.toString();
    if (where != nullptr) *where = std::move(error);
    return makeError(ErrorKind::kSyntaxError, std::move(text));
  };
  if (source.size() > options.maxSourceBytes) {
    return fail(0, "source is too large (" + std::to_string(source.size()) + " bytes; the limit is " +
                       std::to_string(options.maxSourceBytes) + ")");
  }
  if (std::size_t nul = source.find('\0'); nul != std::string_view::npos) {
    return fail(static_cast<std::uint32_t>(nul), "unexpected NUL byte (write \\0 inside a string)");
  }
  // The lexer reads a NUL sentinel at the end instead of checking bounds. The copy reuses a per-thread
  // buffer (kept only while small) to avoid faulting in fresh pages on every lowering.
  thread_local std::string reusable;
  std::string& buffer = reusable;
  buffer.assign(source);
  struct Release {
    std::string& b;
    ~Release() {
      if (b.capacity() > kKeepBufferBytes) std::string().swap(b);
    }
  } release{buffer};
  Arena arena;
  ErrorSink errors;
  Parser parser(buffer, arena, errors);
  Chunk* chunk = parser.parseChunk();
  if (errors.failed || chunk == nullptr) return fail(errors.offset, errors.message);
  std::string lua = emitLua(*chunk, buffer, arena, errors);
  if (errors.failed) return fail(errors.offset, errors.message);
  return lua;
}

}  // namespace tw::luau
