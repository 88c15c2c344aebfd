// Auth: the bearer-token check and the "is this listen address loopback" rule.
//
// Threading: stateless; safe from any thread.
#pragma once

#include <string_view>

namespace tw::api {

// Equality whose running time depends only on `presented`'s length, never on where the strings differ or
// on the secret's content.
bool constantTimeEquals(std::string_view presented, std::string_view secret);

// True when `authorization` (the header's value) is "Bearer <token>" (scheme case-insensitive, one or more
// spaces) and the token equals `secret`. REQUIRES: !secret.empty()
bool bearerAuthorized(std::string_view authorization, std::string_view secret);

// True for 127.0.0.0/8, ::1, ::ffff:127.x.y.z and "localhost". False for anything else, including 0.0.0.0,
// :: and host names (the server listens on IP literals only).
bool isLoopbackAddress(std::string_view address);

}  // namespace tw::api
