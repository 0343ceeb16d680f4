# Helpers that keep every module built the same way.
#
#   strongroom_module(NAME <m> SOURCES <files> DEPS <targets>)
#     A static library strongroom_<m> (alias strongroom::<m>) with includes rooted at src/.
#   strongroom_test(NAME <t> SOURCES <files> DEPS <targets> [LABELS <labels>] [POSTGRES])
#     A GoogleTest executable registered with CTest, one CTest entry per test case. POSTGRES: its
#     tests use the run's PostgreSQL cluster (tests/postgres/test_postgres.h).

# Designated initialisers leave members at their defaults on purpose; GCC 12 warns regardless.
set(STRONGROOM_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wconversion
    -Wno-missing-field-initializers)
# clang's -Wconversion also warns of sign changes, which GCC's (the project's compiler) does not.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  list(APPEND STRONGROOM_WARNINGS -Wno-sign-conversion)
endif()
if(STRONGROOM_WERROR)
  list(APPEND STRONGROOM_WARNINGS -Werror)
endif()

add_library(strongroom_options INTERFACE)
target_compile_options(strongroom_options INTERFACE ${STRONGROOM_WARNINGS})
# Asio's and Beast's compiled parts are built once, in http/boost_impl.cc, not in every file that
# includes them.
target_compile_definitions(strongroom_options INTERFACE
  BOOST_ASIO_NO_DEPRECATED BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION)
if(STRONGROOM_TESTING)
  target_compile_definitions(strongroom_options INTERFACE STRONGROOM_TESTING=1)
endif()
if(STRONGROOM_SANITIZE)
  target_compile_options(strongroom_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(strongroom_options INTERFACE -fsanitize=address,undefined)
endif()
if(STRONGROOM_FUZZ)
  # Every module is instrumented for libFuzzer's coverage; only the targets in fuzz/ link its
  # driver. libstdc++ 12 offers std::expected only when __cpp_concepts says C++20's full concepts
  # (conditionally trivial special members, P0848), which clang 16 implements but does not yet
  # announce: say so for it.
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "STRONGROOM_FUZZ needs clang (the fuzz preset uses clang++-16)")
  endif()
  target_compile_options(strongroom_options INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined -D__cpp_concepts=202002L -Wno-macro-redefined)
  target_link_options(strongroom_options INTERFACE -fsanitize=address,undefined)
endif()
if(STRONGROOM_HARDEN)
  target_compile_options(strongroom_options INTERFACE
    -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fstack-clash-protection
    -fcf-protection -fPIE)
  target_link_options(strongroom_options INTERFACE -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack)
endif()

function(strongroom_module)
  cmake_parse_arguments(M "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_library(strongroom_${M_NAME} STATIC ${M_SOURCES})
  add_library(strongroom::${M_NAME} ALIAS strongroom_${M_NAME})
  target_include_directories(strongroom_${M_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(strongroom_${M_NAME} PUBLIC strongroom_options ${M_DEPS})
endfunction()

function(strongroom_test)
  cmake_parse_arguments(T "POSTGRES" "NAME" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_include_directories(${T_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${T_NAME} PRIVATE strongroom_options ${T_DEPS} GTest::gtest GTest::gmock
    GTest::gtest_main)
  set(props ENVIRONMENT "STRONGROOM_BINARY=$<TARGET_FILE:strongroom>")
  if(T_LABELS)
    list(APPEND props LABELS "${T_LABELS}")
  endif()
  if(T_POSTGRES)
    list(APPEND props FIXTURES_REQUIRED postgres)
  endif()
  gtest_discover_tests(${T_NAME} DISCOVERY_TIMEOUT 60 PROPERTIES ${props})
endfunction()
