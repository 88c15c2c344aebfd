// Reading the documentation for its tests: fenced code blocks and their info strings, and a JSON comparison
// that allows elided strings.
//
// Threading: stateless.
#pragma once

#include <boost/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace tw::testing::docs {

// A fenced code block: ``` followed by an info string, the text, and a closing ``` line.
struct Block {
  int line = 0;         // 1-based line of the opening fence
  std::string lang;     // first word of the info string ("lua", "json", ...)
  std::vector<std::string> words;               // the other words without '='
  std::map<std::string, std::string> attributes;  // the other words key=value
  std::string text;     // the lines between the fences, each ending in '\n'

  bool has(const std::string& word) const;
};

// Every fenced block of `markdown`, in order. An unterminated block is returned with what it holds.
std::vector<Block> fencedBlocks(const std::string& markdown);

// Whether `actual` matches `expected`: the same JSON value, except that numbers compare by value and an
// expected string ending in "…" (U+2026) matches any string that starts with the text before it. On a
// mismatch, `where` names the first differing place ($.a[1]...).
bool jsonMatches(const boost::json::value& expected, const boost::json::value& actual, std::string* where);

// Whether `excerpt` is part of `whole`: every key of an excerpt object is in the whole object with a matching
// value, an excerpt array is a prefix of the whole array (elements compared as excerpts), scalars are equal.
bool jsonExcerptOf(const boost::json::value& excerpt, const boost::json::value& whole, std::string* where);

// Splits "a,b,c" into its non-empty parts.
std::vector<std::string> splitList(const std::string& text);

}  // namespace tw::testing::docs
