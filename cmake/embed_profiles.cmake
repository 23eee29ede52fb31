# Writes OUT, a C++ source holding every YAML file of DIR (the built-in profiles, profiles/*.yaml,
# or experiments, experiments/*.yaml) as raw strings, so `inferbench --profile NAME` needs no files
# next to the binary. NS::FUNCTION() returns them as (name, text) pairs.
# Usage: cmake -DDIR=<dir> -DOUT=<file.cpp> [-DNS=inferbench::config::detail]
#              [-DFUNCTION=embedded_profiles] -P embed_profiles.cmake
if(NOT NS)
  set(NS inferbench::config::detail)
endif()
if(NOT FUNCTION)
  set(FUNCTION embedded_profiles)
endif()
file(GLOB files ${DIR}/*.yaml)
list(SORT files)
set(out "// Generated from ${DIR}/*.yaml by cmake/embed_profiles.cmake: do not edit.\n")
string(APPEND out "#include <string_view>\n#include <utility>\n#include <vector>\n\n")
string(APPEND out "namespace ${NS} {\n\n")
string(APPEND out "std::vector<std::pair<std::string_view, std::string_view>> ${FUNCTION}() {\n  return {\n")
foreach(f ${files})
  get_filename_component(name ${f} NAME_WE)
  file(READ ${f} text)
  string(FIND "${text}" ")inferbench_yaml\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${f} contains the raw-string delimiter )inferbench_yaml\"")
  endif()
  string(APPEND out "      {\"${name}\", R\"inferbench_yaml(${text})inferbench_yaml\"},\n")
endforeach()
string(APPEND out "  };\n}\n\n}  // namespace ${NS}\n")
file(WRITE ${OUT}.tmp "${out}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
