// The OpenAPI 3.0 document served at GET /openapi.json: hand-written, embedded in the binary. api_test
// checks that every route of router.h appears in it and that it is valid JSON.
//
// Threading: immutable.
#pragma once

#include <string_view>

namespace tw::api {

std::string_view openApiDocument();

}  // namespace tw::api
