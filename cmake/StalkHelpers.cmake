# Shared build settings: one warning set for every target, optional sanitizers,
# and helpers that keep each folder of src/ one library and each test file one binary.

add_library(stalk_warnings INTERFACE)
target_compile_options(stalk_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                       -Wnon-virtual-dtor -Wno-missing-field-initializers)
if(STALK_WERROR)
  target_compile_options(stalk_warnings INTERFACE -Werror)
endif()
if(STALK_SANITIZE)
  target_compile_options(stalk_warnings INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(stalk_warnings INTERFACE -fsanitize=address,undefined)
endif()

# stalk_add_library(name SOURCES...): a static library rooted at src/ for includes.
function(stalk_add_library name)
  add_library(${name} STATIC ${ARGN})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PRIVATE stalk_warnings)
endfunction()

# stalk_add_test(name SOURCES... LIBS libs... LABELS labels...)
function(stalk_add_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main stalk_warnings)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT 600)
endfunction()
