# Build step of ffi/CMakeLists.txt (run with cmake -DARGS=<file> -P): runs cargo, writes the
# system libraries the static library needs, from rustc's `--print native-static-libs`
# note, to a CMake file the install step reads (cargo replays the note when nothing needed
# rebuilding, so the list is there on every run), and prepares the libraries to install in
# lib_dir: the archive without LLVM bitcode and debug info, the shared library under its
# versioned name with its links.
include("${ARGS}") # sets cargo_command, native_libs_file, cargo_*, lib_dir, shared_*, objcopy

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

file(MAKE_DIRECTORY "${lib_dir}")
# The archive: rustc bundles Rust's precompiled compiler_builtins whole, with the LLVM
# bitcode (.llvmbc, for Rust's own LTO) and debug info it was built with; C linkers use
# neither. Without an objcopy (not GNU binutils) the archive is installed as cargo made it.
set(static "${lib_dir}/${static_name}")
if(objcopy)
  execute_process(COMMAND "${objcopy}" --strip-debug --remove-section=.llvmbc
                          --remove-section=.llvmcmd "${cargo_static}" "${static}.tmp"
    RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${objcopy} failed on ${cargo_static} (${status})")
  endif()
else()
  configure_file("${cargo_static}" "${static}.tmp" COPYONLY)
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E copy_if_different "${static}.tmp" "${static}")
file(REMOVE "${static}.tmp")
# The shared library under its installed name, and the links to it, each to the next.
execute_process(COMMAND "${CMAKE_COMMAND}" -E copy_if_different "${cargo_shared}"
                        "${lib_dir}/${shared_real}")
set(link_target "${shared_real}")
foreach(link IN LISTS shared_links)
  file(REMOVE "${lib_dir}/${link}")
  file(CREATE_LINK "${link_target}" "${lib_dir}/${link}" SYMBOLIC)
  set(link_target "${link}")
endforeach()
