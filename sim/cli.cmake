# The `rcsim` command and its scenario language (included from
# sim/CMakeLists.txt). The parser and the JUnit writer need no SystemC, so
# their unit tests link only rcsim_scenario.
add_library(rcsim_scenario STATIC scenario_parser.cpp junit_report.cpp)
target_include_directories(rcsim_scenario PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
# input_file.cpp: the checked opener every file named by a user goes through.
target_link_libraries(rcsim_scenario PUBLIC rcsim_sim_infra)
rcsim_strict_warnings(rcsim_scenario)

add_executable(rcsim rcsim_main.cpp rcsim_run.cpp rcsim_probe.cpp rcsim_perfetto.cpp
                     scenario_session.cpp scenario_child.cpp)
target_link_libraries(rcsim PRIVATE rcsim_scenario rcsim_harness vu_probe_print)
# The trace writer and the Perfetto converter, once their sources are there.
if(TARGET rcsim_trace)
  target_link_libraries(rcsim PRIVATE rcsim_trace)
  target_compile_definitions(rcsim PRIVATE RCSIM_HAVE_TRACE=1)
else()
  target_compile_definitions(rcsim PRIVATE RCSIM_HAVE_TRACE=0)
endif()
rcsim_strict_warnings(rcsim)
