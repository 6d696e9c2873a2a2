# SPDX-License-Identifier: Apache-2.0
# bpf_object(name source.bpf.c): compiles a BPF object with clang and generates its libbpf
# skeleton with bpftool; yields an INTERFACE target `name_skel` whose include directory holds
# `name.skel.h`.
find_program(BPF_CLANG clang REQUIRED)
find_program(BPFTOOL bpftool REQUIRED)
execute_process(COMMAND uname -m OUTPUT_VARIABLE RPCMON_ARCH OUTPUT_STRIP_TRAILING_WHITESPACE)
if(RPCMON_ARCH STREQUAL "x86_64")
  set(RPCMON_BPF_ARCH x86)
elseif(RPCMON_ARCH STREQUAL "aarch64")
  set(RPCMON_BPF_ARCH arm64)
else()
  set(RPCMON_BPF_ARCH ${RPCMON_ARCH})
endif()

function(bpf_object name src)
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o)
  set(skel ${CMAKE_CURRENT_BINARY_DIR}/${name}.skel.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_${RPCMON_BPF_ARCH}
            -I${PROJECT_SOURCE_DIR}/include -I/usr/include/${RPCMON_ARCH}-linux-gnu
            -Wall -Werror -c ${CMAKE_CURRENT_SOURCE_DIR}/${src} -o ${obj}
    DEPENDS ${src} ${PROJECT_SOURCE_DIR}/include/rpcmon/wire.h ${PROJECT_SOURCE_DIR}/include/rpcmon/classify.h
            ${PROJECT_SOURCE_DIR}/include/rpcmon/flow_track.h ${PROJECT_SOURCE_DIR}/include/rpcmon/host_wire.h
    COMMENT "BPF ${src}")
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}
    DEPENDS ${obj}
    COMMENT "skeleton ${name}.skel.h")
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${CMAKE_CURRENT_BINARY_DIR})
  target_link_libraries(${name}_skel INTERFACE PkgConfig::LIBBPF)
endfunction()
