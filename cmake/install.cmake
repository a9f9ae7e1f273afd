# `cmake --install`: the tools, the bundled models, the client library
# (static and shared) with a pkg-config file, the harness with every static
# library under it and its gtest fixture, their headers, and the CMake
# package find_package(rcsim) reads (rcsimConfig.cmake.in says what it gives).
include(CMakePackageConfigHelpers)

# The bundled models are test peers, not commands: off PATH, in libexec/rcsim.
set(RCSIM_INSTALL_MODELSDIR ${CMAKE_INSTALL_LIBEXECDIR}/rcsim)
set(RCSIM_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/rcsim)
set(RCSIM_MODELS gpio dmaprobe regs dmacopy wide timer shmem)

# The gtest fixture's door: rcsim::harness_gtest brings the harness and gtest.
add_library(rcsim_harness_gtest INTERFACE)
target_link_libraries(rcsim_harness_gtest INTERFACE rcsim_harness GTest::gtest)

# The harness and the rooms below it (sim/README.md "Rooms and arrows"),
# installed as rcsim::<room>.
set(_rooms tlp port host bridge process files sched harness)
set(_room_targets ${_rooms})
list(TRANSFORM _room_targets PREPEND rcsim_)
foreach(room ${_rooms})
  set_target_properties(rcsim_${room} PROPERTIES EXPORT_NAME ${room})
endforeach()
set_target_properties(rcsim_harness_rtl PROPERTIES EXPORT_NAME harness_rtl)
set_target_properties(rcsim_harness_gtest PROPERTIES EXPORT_NAME harness_gtest)
set_target_properties(vfio_user_client PROPERTIES EXPORT_NAME client_static)
set_target_properties(vfio_user_client_shared PROPERTIES EXPORT_NAME client)

install(TARGETS rcsim vu-probe EXPORT rcsimTargets)
install(TARGETS ${RCSIM_MODELS} EXPORT rcsimTargets DESTINATION ${RCSIM_INSTALL_MODELSDIR})
install(TARGETS vfio_user_client vfio_user_client_shared ${_room_targets} rcsim_harness_rtl
                rcsim_harness_gtest
        EXPORT rcsimTargets)

# Public headers: the client's, and what harness_fixture.hpp includes (the
# rooms' folders flattened into include/rcsim, as the rooms include them by
# bare name). tests/install checks the example compiles against these alone.
install(DIRECTORY client/include/vfio_user DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/rcsim
        FILES_MATCHING PATTERN "*.h")
set(_harness_headers
    tlp/tlp.hpp tlp/tlp_beats.hpp
    port/harness_top.hpp port/rtl_model.hpp port/rtl_ports.hpp
    host/dma_refusals.hpp host/host_memory.hpp host/host_memory_port.hpp
    host/host_port_driver.hpp host/shared_mapping.hpp
    bridge/bar_map.hpp bridge/bar_mappings.hpp bridge/bridge.hpp bridge/client_style.hpp
    bridge/failure_notes.hpp
    process/server_process.hpp
    files/sha256.hpp
    sched/admission.hpp sched/decision_log.hpp sched/dma_reply_gate.hpp sched/fork_epoch.hpp
    sched/idle_channel.hpp sched/quiescence.hpp sched/scheduler.hpp
    harness/harness.hpp harness/harness_fixture.hpp harness/harness_observer.hpp
    harness/enumeration.hpp harness/harness_device.hpp)
list(TRANSFORM _harness_headers PREPEND sim/)
install(FILES ${_harness_headers} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/rcsim)

install(EXPORT rcsimTargets NAMESPACE rcsim:: DESTINATION ${RCSIM_INSTALL_CMAKEDIR})
configure_package_config_file(cmake/rcsimConfig.cmake.in
  ${PROJECT_BINARY_DIR}/rcsimConfig.cmake INSTALL_DESTINATION ${RCSIM_INSTALL_CMAKEDIR}
  PATH_VARS RCSIM_INSTALL_MODELSDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/rcsimConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/rcsimConfig.cmake ${PROJECT_BINARY_DIR}/rcsimConfigVersion.cmake
        DESTINATION ${RCSIM_INSTALL_CMAKEDIR})

# pkg-config finds the prefix from the .pc file's own folder.
file(RELATIVE_PATH RCSIM_PC_TO_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
string(REGEX REPLACE "/$" "" RCSIM_PC_TO_PREFIX ${RCSIM_PC_TO_PREFIX})
configure_file(cmake/rcsim-client.pc.in ${PROJECT_BINARY_DIR}/rcsim-client.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/rcsim-client.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
