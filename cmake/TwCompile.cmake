# Compiler flags shared by every target: warnings (as errors by default) and sanitizer builds.
add_library(tw_flags INTERFACE)
target_compile_options(tw_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wunused -Woverloaded-virtual -Wformat=2 -Wimplicit-fallthrough
  $<$<BOOL:${TW_WERROR}>:-Werror>)
target_include_directories(tw_flags INTERFACE ${PROJECT_SOURCE_DIR}/src)

if(TW_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(TW_SANITIZER_BUILD=1)
elseif(TW_SANITIZE STREQUAL "thread")
  # -Wno-tsan: GCC warns that TSan does not model Asio's std::atomic_thread_fence; Asio hands handlers over
  # under a mutex, which TSan does see.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
  add_link_options(-fsanitize=thread)
  add_compile_definitions(TW_SANITIZER_BUILD=1)
elseif(NOT TW_SANITIZE STREQUAL "")
  message(FATAL_ERROR "TW_SANITIZE must be '', 'address' or 'thread'")
endif()

# tw_add_test(NAME SOURCES ... LIBS ... [LABELS ...]): one GoogleTest binary, registered with CTest. The label
# `threads` marks the suites CI also runs under TSan.
function(tw_add_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} tw_flags GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE TW_SOURCE_DIR_DEFAULT="${PROJECT_SOURCE_DIR}")
  set(labels ${T_LABELS})
  if(NOT labels)
    set(labels unit)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES ENVIRONMENT "TW_SOURCE_DIR=${PROJECT_SOURCE_DIR}" LABELS "${labels}")
endfunction()
