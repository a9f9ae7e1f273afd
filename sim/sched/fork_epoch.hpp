// Which process this is, without a system call: a count the child side of
// every fork() bumps. Admission and the quiescence probe ask "am I still
// the process that set this up?" (a forked run shares the parent's file
// offsets and its connection's counts) at every admission point and every
// /proc look; getpid() there was a system call per question, about 2% of
// the harness's CPU per MMIO round trip on a 2-core VM. The count is
// process-wide by nature (it describes the process, not a context). Forks
// through fork() count (glibc runs pthread_atfork handlers); posix_spawn's
// child runs no harness code before exec, so it needs none.
#pragma once

#include <cstdint>

namespace rcsim {

// Changes in the child of every fork() made after the first call.
uint64_t fork_epoch();

} // namespace rcsim
