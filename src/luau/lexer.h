// Lexer: turns Luau source into tokens on demand (one token of lookahead), decoding string escapes and
// numbers as Luau does. Newlines are '\n' only (as in Luau), so token lines match the author's editor.
//
// Threading: owned by one thread (one lowering).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "luau/arena.h"

namespace tw::luau {

// Token types. Single-character punctuation uses its character code; everything else is above 255.
enum Tok : int {
  kTokEof = 256,
  kTokName,
  kTokNumber,
  kTokString,        // quoted or long string; value() is decoded
  kTokInterpSimple,  // `text` with no expressions
  kTokInterpBegin,   // `text{
  kTokInterpMid,     // }text{
  kTokInterpEnd,     // }text`
  kTokAttribute,     // @name; text() is the name without '@'
  kTokAttributeOpen, // @[
  // Reserved words (Luau's; `goto` is an ordinary name in Luau).
  kTokAnd,
  kTokBreak,
  kTokDo,
  kTokElse,
  kTokElseif,
  kTokEnd,
  kTokFalse,
  kTokFor,
  kTokFunction,
  kTokIf,
  kTokIn,
  kTokLocal,
  kTokNil,
  kTokNot,
  kTokOr,
  kTokRepeat,
  kTokReturn,
  kTokThen,
  kTokTrue,
  kTokUntil,
  kTokWhile,
  // Multi-character operators.
  kTokEq,        // ==
  kTokNe,        // ~=
  kTokLe,        // <=
  kTokGe,        // >=
  kTokConcat,    // ..
  kTokDots,      // ...
  kTokArrow,     // ->
  kTokDoubleColon,  // ::
  kTokFloorDiv,  // //
  kTokAddAssign,
  kTokSubAssign,
  kTokMulAssign,
  kTokDivAssign,
  kTokFloorDivAssign,
  kTokModAssign,
  kTokPowAssign,
  kTokConcatAssign,
};

struct Token {
  int type = kTokEof;
  std::uint32_t line = 1;     // line of the first character
  std::uint32_t endLine = 1;  // line of the last character (long strings span lines)
  std::uint32_t offset = 0;  // byte offset of the first character
  std::string_view text;     // source text (names: the name; attributes: the name without '@')
  std::string_view value;    // decoded contents of strings and interpolation pieces
  double number = 0;         // value of numbers
};

// The first error of a lowering; later ones are dropped.
struct ErrorSink {
  bool failed = false;
  std::uint32_t offset = 0;
  std::string message;

  void report(std::uint32_t at, std::string text) {
    if (failed) return;
    failed = true;
    offset = at;
    message = std::move(text);
  }
};

class Lexer {
 public:
  // REQUIRES: source[source.size()] is readable and is '\0' (a sentinel); source has no other NUL bytes
  // (the caller reports those).
  Lexer(std::string_view source, Arena& arena, ErrorSink& errors);

  const Token& current() const { return current_; }
  // The token after current(); lexed on demand.
  const Token& peek();
  void next();
  // Type argument lists end in '>', which Luau's lexer may have glued to a following '=' (`{T}>= x`):
  // turns a current '>=' into '=' after the '>' is taken.
  void splitGreaterEqual();
  // After an error: the current token and everything after it become end-of-file.
  void abort();

  // Line where the previous token ended (for "ambiguous call" checks).
  std::uint32_t previousLine() const { return previousLine_; }

  // Describes a token for messages: "'x'", "<eof>", "'\"abc\"'".
  std::string describe(const Token& token) const;

  std::string_view source() const { return source_; }

 private:
  void lex(Token& out);
  [[gnu::noinline]] void lexOther(Token& out, std::uint32_t start, char c);
  void skipSpaceAndComments();
  bool skipLongBracketBody(int level, std::uint32_t startOffset, bool isComment, std::string* out);
  int longBracketLevel();  // at '[': returns level if "[=*[" follows, -1 if just '[', -2 if malformed
  void lexQuoted(Token& out, char quote, std::uint32_t start);
  void lexInterpSection(Token& out, std::uint32_t start, bool first);
  bool readEscape(std::string& out, bool interpolated);  // at '\\'; false on error (reported)
  void lexNumber(Token& out, std::uint32_t start);
  void lexUtf8Error(Token& out, std::uint32_t start);
  void make(Token& out, int type, std::uint32_t start) const;
  void fail(Token& out, std::uint32_t at, std::string message);
  void failEscape(std::uint32_t at, std::string message) {
    Token ignored;
    fail(ignored, at, std::move(message));
  }

  std::string_view source_;
  const char* p_;
  const char* base_;
  std::uint32_t line_ = 1;
  std::uint32_t previousLine_ = 1;
  Arena& arena_;
  ErrorSink& errors_;
  Token current_;
  Token lookahead_;
  bool hasLookahead_ = false;
  std::string scratch_;
  // Brace nesting inside interpolated strings: true marks a '{' that opened an interpolation.
  std::vector<bool> braces_;
};

}  // namespace tw::luau
