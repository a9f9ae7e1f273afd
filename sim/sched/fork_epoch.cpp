#include "fork_epoch.hpp"

#include <pthread.h>

#include <atomic>

namespace rcsim {

namespace {

std::atomic<uint64_t> g_forks{0};

void count_fork_in_child() {
    g_forks.fetch_add(1, std::memory_order_relaxed);
}

} // namespace

uint64_t fork_epoch() {
    // Registered once, before the first value is handed out: a fork after
    // any caller recorded a value is always counted.
    static const int registered = pthread_atfork(nullptr, nullptr, count_fork_in_child);
    (void)registered;
    return g_forks.load(std::memory_order_relaxed);
}

} // namespace rcsim
