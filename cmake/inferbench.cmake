# Helpers shared by every module: one way to define a library, a test and a benchmark.

set(INFERBENCH_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough
    # GCC 12 reports Asio's coroutine frame allocator (sized operator delete) as mismatched.
    -Wno-mismatched-new-delete)

# inferbench_module(NAME [FOLDER DIR] SOURCES ... DEPS ...): a static library `inferbench_NAME`,
# alias `inferbench::NAME`, for the sources in src/DIR (DIR defaults to NAME). Its public include
# root holds src/DIR alone (as a link in the build tree), so includes read "core/clock.hpp" and a
# module sees only the headers of the modules it links: an include that crosses the layering
# does not compile.
function(inferbench_module name)
  cmake_parse_arguments(ARG "" "FOLDER" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_FOLDER)
    set(ARG_FOLDER ${name})
  endif()
  set(root ${PROJECT_BINARY_DIR}/include/${name})
  get_filename_component(parent ${root}/${ARG_FOLDER} DIRECTORY)
  file(MAKE_DIRECTORY ${parent})
  file(CREATE_LINK ${PROJECT_SOURCE_DIR}/src/${ARG_FOLDER} ${root}/${ARG_FOLDER} SYMBOLIC)
  if(NOT ARG_SOURCES)  # headers only: an interface (the Target boundary)
    add_library(inferbench_${name} INTERFACE)
    add_library(inferbench::${name} ALIAS inferbench_${name})
    target_include_directories(inferbench_${name} INTERFACE ${root})
    target_link_libraries(inferbench_${name} INTERFACE ${ARG_DEPS})
    return()
  endif()
  add_library(inferbench_${name} STATIC ${ARG_SOURCES})
  add_library(inferbench::${name} ALIAS inferbench_${name})
  target_include_directories(inferbench_${name} PUBLIC ${root})
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
