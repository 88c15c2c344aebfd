// Writing JSON text by hand on the host side (result envelopes, API responses): string escaping.
//
// Threading: stateless.
#pragma once

#include <string>
#include <string_view>

namespace tw {

// Appends `s` as a JSON string literal (with quotes). Bytes that are not valid UTF-8 become U+FFFD.
void appendJsonString(std::string& out, std::string_view s);

}  // namespace tw
