# Helpers that give every synod target the same flags.

set(SYNOD_WARNINGS -Wall -Wextra -Wno-missing-field-initializers)
# g++ 12 reports false -Wrestrict positives inside std::string at -O2/-O3
# (GCC bug 105651); they are not in our code.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  list(APPEND SYNOD_WARNINGS -Wno-restrict)
endif()
if(SYNOD_WERROR)
  list(APPEND SYNOD_WARNINGS -Werror)
endif()

# synod_layer(<folder> SOURCES ... DEPS ...): the library target of one layer.
# DEPS names lower layers (without prefix) and synod::dep:: targets.
function(synod_layer folder)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  set(target synod_${folder})
  if(ARG_SOURCES)
    add_library(${target} STATIC ${ARG_SOURCES})
    set(scope PUBLIC)
  else()
    add_library(${target} INTERFACE)
    set(scope INTERFACE)
  endif()
  target_include_directories(${target} ${scope} ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR})
  if(ARG_SOURCES)
    target_compile_options(${target} PRIVATE ${SYNOD_WARNINGS})
  endif()
  foreach(dep IN LISTS ARG_DEPS)
    if(dep MATCHES "::")
      target_link_libraries(${target} ${scope} ${dep})
    else()
      # "consensus" names a layer; "synod_consensus_state" a sub-library of it.
      set(dep_layer ${dep})
      set(dep_target synod_${dep})
      if(dep MATCHES "^synod_([a-z]+)_")
        set(dep_layer ${CMAKE_MATCH_1})
        set(dep_target ${dep})
      endif()
      list(FIND SYNOD_LAYERS ${folder} my_rank)
      list(FIND SYNOD_LAYERS ${dep_layer} dep_rank)
      if(dep_layer STREQUAL folder)
        target_link_libraries(${target} ${scope} ${dep_target})
        continue()
      endif()
      if(dep_rank EQUAL -1 OR NOT dep_rank LESS my_rank)
        message(FATAL_ERROR "layer '${folder}' may not depend on '${dep}' (see DESIGN.md)")
      endif()
      target_link_libraries(${target} ${scope} ${dep_target})
    endif()
  endforeach()
endfunction()

# synod_executable(<name> SOURCES ... DEPS ...): an executable with synod's
# flags; DEPS are layer names (linked as synod_<layer>) or full target names.
function(synod_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${SYNOD_WARNINGS})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR})
  foreach(dep IN LISTS ARG_DEPS)
    if(dep MATCHES "::" OR TARGET ${dep})
      target_link_libraries(${name} PRIVATE ${dep})
    else()
      target_link_libraries(${name} PRIVATE synod_${dep})
    endif()
  endforeach()
endfunction()

# synod_add_subfolders(): add_subdirectory() for every child folder of the
# current source folder that has a CMakeLists.txt (tests/ and bench/ grow by
# adding folders, never by editing a shared list).
function(synod_add_subfolders)
  file(GLOB children RELATIVE ${CMAKE_CURRENT_SOURCE_DIR} CONFIGURE_DEPENDS
       ${CMAKE_CURRENT_SOURCE_DIR}/*)
  list(SORT children)
  foreach(child IN LISTS children)
    if(IS_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/${child} AND
       EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${child}/CMakeLists.txt)
      add_subdirectory(${child})
    endif()
  endforeach()
endfunction()

# synod_test(<name> SOURCES ... DEPS ... [LABELS ...] [TIMEOUT s]): a GoogleTest
# executable registered with ctest under its labels.
function(synod_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  synod_executable(${name} SOURCES ${ARG_SOURCES} DEPS ${ARG_DEPS})
  target_link_libraries(${name} PRIVATE synod::dep::gtest_main)
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_test(NAME ${name} COMMAND ${name} --gtest_color=no)
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
                       ENVIRONMENT "SYNOD_BINARY=$<TARGET_FILE:synod>;SYNOD_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endfunction()

# synod_bench(<name> SOURCES ... DEPS ...): a benchmark executable in bench/.
function(synod_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  synod_executable(${name} SOURCES ${ARG_SOURCES} DEPS ${ARG_DEPS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
endfunction()
