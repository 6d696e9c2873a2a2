# SPDX-License-Identifier: Apache-2.0
# Version header for `rpcmon --version`: the project() version and the git revision the tree
# was configured from (`git describe --always --dirty`, "unknown" outside git). Taken at
# configure time: reconfigure (tools/build.sh does) to refresh the revision after a commit.
find_package(Git QUIET)
set(RPCMON_GIT_REVISION "unknown")
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty
                  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                  OUTPUT_VARIABLE _rpcmon_rev OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE _rpcmon_rev_rc ERROR_QUIET)
  if(_rpcmon_rev_rc EQUAL 0 AND _rpcmon_rev)
    set(RPCMON_GIT_REVISION "${_rpcmon_rev}")
  endif()
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/version.h.in ${PROJECT_BINARY_DIR}/generated/rpcmon_version.h @ONLY)
