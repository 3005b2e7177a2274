# Every third-party dependency comes from a Debian 12 package (scripts/install-deps.sh).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(RapidJSON REQUIRED)
pkg_check_modules(MARIADB REQUIRED IMPORTED_TARGET libmariadb)
pkg_check_modules(RABBITMQ REQUIRED IMPORTED_TARGET librabbitmq)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
# The metrics and health endpoints (src/metrics/http_server.h).
pkg_check_modules(MICROHTTPD REQUIRED IMPORTED_TARGET libmicrohttpd)
# CRC32 of binlog events (PCLMUL-accelerated); zlib stays for inflating.
pkg_check_modules(DEFLATE REQUIRED IMPORTED_TARGET libdeflate)
if(MM_JEMALLOC AND NOT MM_SANITIZE AND NOT MM_BUILD_FUZZ)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
endif()

# RapidJSON's Debian config exports include dirs, not a target.
if(NOT TARGET mm_rapidjson)
  add_library(mm_rapidjson INTERFACE)
  target_include_directories(mm_rapidjson SYSTEM INTERFACE ${RapidJSON_INCLUDE_DIRS} ${RAPIDJSON_INCLUDE_DIRS})
  target_compile_definitions(mm_rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)
endif()

if(MM_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
