// What rcsim leaves behind when it is stopped by a signal (SIGINT, SIGTERM,
// SIGHUP): nothing. A run owns private folders (the server's socket and
// whatever the server wrote beside it), server processes and everything
// they started (a `setsid` grandchild included), and, when exploring,
// forked run children that own the same again. Each registers here while
// it lives; on a signal the handler asks the run children to clean up
// after themselves (SIGTERM, then SIGKILL after a grace period), kills
// every server with all its descendants, removes the folders, and dies of
// the same signal.
//
// The registry is process-wide state on purpose: a signal handler can
// reach nothing else. It holds fixed arrays (no allocation), is changed
// with the signals blocked, and is emptied in every forked child (the
// parent keeps cleaning up what it registered).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace rcsim {

// The handlers, and (where the kernel allows) this process as the
// subreaper of its descendants, so an orphaned grandchild of a server
// stays findable. Called once by the rcsim executable.
void install_cleanup_on_signals();
// In a forked child: forget what the parent registered.
void cleanup_forget_inherited();

enum class CleanupKind { Dir, Server, Run };
void cleanup_register(CleanupKind kind, pid_t pid, const std::string &path = {});
void cleanup_unregister(CleanupKind kind, pid_t pid, const std::string &path = {});

// Removes `path` and everything below it (no symlink is followed).
// Async-signal-safe. 0 or a negative errno.
int remove_tree(const char *path);
// The processes below `root` (children, their children, ...) from /proc,
// at most `max`. Async-signal-safe. Returns how many were written.
size_t list_descendants(pid_t root, pid_t *out, size_t max);
// Convenience for non-signal code.
std::vector<pid_t> descendants_of(pid_t root);

} // namespace rcsim
