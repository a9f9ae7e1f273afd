# One trace identity case: runs rcsim (RCSIM) with the arguments in
# ARGS_FILE (one per line) writing TRACE, then compares the file's SHA-256 with NAME's line in SHA_FILE.
# With REPLAY_LOG set, first runs ARGS (which write that decision log), then
# `rcsim replay REPLAY_LOG --server-from-log --trace TRACE`.
file(STRINGS "${ARGS_FILE}" ARGS)
file(REMOVE "${TRACE}")
execute_process(COMMAND ${RCSIM} ${ARGS} RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
if(rc GREATER 1)
  message(FATAL_ERROR "rcsim exited ${rc}: ${err}")
endif()
if(REPLAY_LOG)
  file(REMOVE "${TRACE}")
  execute_process(COMMAND ${RCSIM} replay ${REPLAY_LOG} --server-from-log --trace ${TRACE}
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  if(rc GREATER 1)
    message(FATAL_ERROR "rcsim replay exited ${rc}: ${err}")
  endif()
endif()
if(NOT EXISTS "${TRACE}")
  message(FATAL_ERROR "no trace written to ${TRACE}")
endif()
file(SHA256 "${TRACE}" got)
file(STRINGS "${SHA_FILE}" lines REGEX " ${NAME}\\.jsonl$")
if(NOT lines)
  message(FATAL_ERROR "${NAME}.jsonl has no recorded hash in ${SHA_FILE}")
endif()
string(REGEX MATCH "^[0-9a-f]+" want "${lines}")
if(NOT got STREQUAL want)
  message(FATAL_ERROR "${NAME}: the trace differs from the one recorded before the change\n"
                      "  recorded ${want}\n  now      ${got}\n  (trace kept: ${TRACE})")
endif()
