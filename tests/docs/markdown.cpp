#include "docs/markdown.h"

#include <sstream>

namespace tw::testing::docs {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

const std::string kEllipsis = "\xE2\x80\xA6";  // U+2026

bool bothNumbers(const boost::json::value& a, const boost::json::value& b) { return a.is_number() && b.is_number(); }

bool sameNumber(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() || b.is_double()) return a.to_number<double>() == b.to_number<double>();
  if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
  if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
  // one int64, one uint64
  const boost::json::value& i = a.is_int64() ? a : b;
  const boost::json::value& u = a.is_int64() ? b : a;
  return i.get_int64() >= 0 && static_cast<std::uint64_t>(i.get_int64()) == u.get_uint64();
}

bool stringMatches(const boost::json::string& expected, const boost::json::string& actual) {
  const std::string e(expected);
  const std::string a(actual);
  if (e.size() >= kEllipsis.size() && e.compare(e.size() - kEllipsis.size(), kEllipsis.size(), kEllipsis) == 0) {
    const std::string prefix = e.substr(0, e.size() - kEllipsis.size());
    return a.compare(0, prefix.size(), prefix) == 0;
  }
  return e == a;
}

enum class Mode { kExact, kExcerpt };

bool compare(const boost::json::value& e, const boost::json::value& a, Mode mode, const std::string& path,
             std::string* where) {
  auto fail = [&] {
    if (where != nullptr) *where = path;
    return false;
  };
  if (bothNumbers(e, a)) return sameNumber(e, a) ? true : fail();
  if (e.kind() != a.kind()) return fail();
  switch (e.kind()) {
    case boost::json::kind::string:
      return (mode == Mode::kExact ? stringMatches(e.get_string(), a.get_string()) : e.get_string() == a.get_string())
                 ? true
                 : fail();
    case boost::json::kind::object: {
      const auto& eo = e.get_object();
      const auto& ao = a.get_object();
      if (mode == Mode::kExact && eo.size() != ao.size()) return fail();
      for (const auto& [key, value] : eo) {
        const auto* other = ao.if_contains(key);
        const std::string sub = path + "." + std::string(key);
        if (other == nullptr) {
          if (where != nullptr) *where = sub;
          return false;
        }
        if (!compare(value, *other, mode, sub, where)) return false;
      }
      return true;
    }
    case boost::json::kind::array: {
      const auto& ea = e.get_array();
      const auto& aa = a.get_array();
      if (mode == Mode::kExact ? ea.size() != aa.size() : ea.size() > aa.size()) return fail();
      for (std::size_t i = 0; i < ea.size(); ++i) {
        if (!compare(ea[i], aa[i], mode, path + "[" + std::to_string(i) + "]", where)) return false;
      }
      return true;
    }
    default: return e == a ? true : fail();
  }
}

}  // namespace

bool Block::has(const std::string& word) const {
  for (const auto& w : words) {
    if (w == word) return true;
  }
  return false;
}

std::vector<Block> fencedBlocks(const std::string& markdown) {
  std::vector<Block> blocks;
  std::istringstream in(markdown);
  std::string line;
  int number = 0;
  Block* open = nullptr;
  while (std::getline(in, line)) {
    ++number;
    const std::string t = trim(line);
    if (open == nullptr) {
      if (t.rfind("```", 0) != 0) continue;
      Block b;
      b.line = number;
      std::istringstream info(t.substr(3));
      std::string word;
      bool first = true;
      while (info >> word) {
        if (first) {
          b.lang = word;
          first = false;
        } else if (const auto eq = word.find('='); eq != std::string::npos) {
          b.attributes[word.substr(0, eq)] = word.substr(eq + 1);
        } else {
          b.words.push_back(word);
        }
      }
      blocks.push_back(std::move(b));
      open = &blocks.back();
    } else if (t == "```") {
      open = nullptr;
    } else {
      open->text += line;
      open->text += '\n';
    }
  }
  return blocks;
}

bool jsonMatches(const boost::json::value& expected, const boost::json::value& actual, std::string* where) {
  return compare(expected, actual, Mode::kExact, "$", where);
}

bool jsonExcerptOf(const boost::json::value& excerpt, const boost::json::value& whole, std::string* where) {
  return compare(excerpt, whole, Mode::kExcerpt, "$", where);
}

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

}  // namespace tw::testing::docs
