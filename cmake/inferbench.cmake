# Helpers shared by every module: one way to define a library, a test and a benchmark.

set(INFERBENCH_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough
    # GCC 12 reports Asio's coroutine frame allocator (sized operator delete) as mismatched.
    -Wno-mismatched-new-delete)

# inferbench_module(NAME SOURCES ... DEPS ...): a static library `inferbench_NAME`,
# alias `inferbench::NAME`, whose public include root is src/ (so includes read "core/clock.hpp").
function(inferbench_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(inferbench_${name} STATIC ${ARG_SOURCES})
  add_library(inferbench::${name} ALIAS inferbench_${name})
  target_include_directories(inferbench_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_features(inferbench_${name} PUBLIC cxx_std_20)
  target_compile_options(inferbench_${name} PRIVATE ${INFERBENCH_WARNINGS})
  if(INFERBENCH_WERROR)
    target_compile_options(inferbench_${name} PRIVATE -Werror)
  endif()
  target_link_libraries(inferbench_${name} PUBLIC ${ARG_DEPS})
endfunction()

# inferbench_test(NAME SOURCES ... DEPS ... [LABELS ...]): one GoogleTest executable under ctest.
function(inferbench_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${INFERBENCH_WARNINGS})
  if(INFERBENCH_WERROR)
    target_compile_options(${name} PRIVATE -Werror)
  endif()
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS "${ARG_LABELS}" DISCOVERY_TIMEOUT 60
                       WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endfunction()

# inferbench_bench(NAME SOURCES ... DEPS ...): one Google Benchmark executable.
function(inferbench_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${INFERBENCH_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark)
endfunction()
