# ssai_test(NAME SOURCES a_test.cc ... LIBS lib ...)
#   One GoogleTest binary, registered with CTest, run from the repository root so tests can read
#   fixtures/ by relative path.
function(ssai_test name)
  if(NOT SSAI_TESTS OR SSAI_FUZZ)
    return()
  endif()
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  # For trees being edited by several people at once: skip (loudly) a test whose sources are
  # not written yet instead of failing the whole configure. Never on in CI.
  if(SSAI_ALLOW_MISSING_SOURCES)
    foreach(src ${T_SOURCES})
      if(NOT EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${src})
        message(WARNING "${name}: ${src} missing; test skipped")
        return()
      endif()
    endforeach()
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endfunction()

# ssai_fuzzer(NAME SOURCES a_fuzzer.cc LIBS lib ...)
#   A libFuzzer target, built only with -DSSAI_FUZZ=ON (clang).
function(ssai_fuzzer name)
  if(NOT SSAI_FUZZ)
    return()
  endif()
  cmake_parse_arguments(F "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${F_SOURCES})
  target_link_libraries(${name} PRIVATE ${F_LIBS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
endfunction()
