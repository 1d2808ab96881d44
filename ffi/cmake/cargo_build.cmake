# Build step of ffi/CMakeLists.txt (run with cmake -DARGS=<file> -P): runs cargo, then writes
# the system libraries the static library needs, from rustc's `--print native-static-libs`
# note, to a CMake file the install step reads. Cargo replays the note when nothing needed
# rebuilding, so the list is there on every run.
include("${ARGS}") # sets cargo_command and native_libs_file

execute_process(COMMAND ${cargo_command}
  RESULT_VARIABLE status
  ERROR_VARIABLE output ECHO_ERROR_VARIABLE)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "cargo failed (${status})")
endif()
if(NOT output MATCHES "native-static-libs: ([^\r\n]*)")
  message(FATAL_ERROR "cargo printed no `native-static-libs:` note; try touching ffi/src/lib.rs")
endif()
string(STRIP "${CMAKE_MATCH_1}" libs)
# Written through a temporary file: configure_file leaves an unchanged file untouched.
file(WRITE "${native_libs_file}.tmp"
     "# The system libraries libbellwether.a needs (rustc --print native-static-libs).\n"
     "set(BELLWETHER_NATIVE_STATIC_LIBS \"${libs}\")\n")
configure_file("${native_libs_file}.tmp" "${native_libs_file}" COPYONLY)
file(REMOVE "${native_libs_file}.tmp")
