# The scheduler's runs and exploration (issue 7; included from
# sim/CMakeLists.txt): one scheduled run of a scenario, exploration over
# forked children, and the `rcsim explore` / `rcsim replay` /
# `rcsim run --schedule` commands. The scenario runner is compiled in here
# too (the rcsim executable lists it among its own sources).
add_library(rcsim_explore STATIC scheduled_run.cpp explore.cpp scenario_runner.cpp run_verdict.cpp
            failure_category.cpp matrix.cpp)
target_include_directories(rcsim_explore PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(rcsim_explore PUBLIC rcsim_scenario rcsim_trace rcsim_harness)
rcsim_strict_warnings(rcsim_explore)
target_sources(rcsim PRIVATE rcsim_explore.cpp rcsim_replay.cpp rcsim_matrix.cpp)
target_link_libraries(rcsim PRIVATE rcsim_explore)
