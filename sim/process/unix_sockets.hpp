// What the kernel says about UNIX sockets: whether a server listens on a path
// yet (without connecting: a libvfio-user server takes its first connection
// as its one client), and who is at the other end of a connected socket.
#pragma once

#include <string>
#include <sys/types.h>

namespace rcsim {

// The PID of the peer of a connected UNIX socket (SO_PEERCRED), so a server
// the harness did not start can still be inspected. 0 or negative errno:
// -ENOTCONN if not connected, -ESRCH if the peer's PID namespace is not
// visible from here.
int socket_peer_pid(int fd, pid_t *pid);

// Whether a listening UNIX socket is bound at `path` (/proc/net/unix). With
// `owner` > 0 only sockets that process holds count (a stale listener of an
// earlier run on the same path does not), and a socket it bound by a
// relative name is resolved in its working directory. Returns 1, 0, or a
// negative errno if the table cannot be read.
int unix_socket_listening(const std::string &path, pid_t owner = 0);

} // namespace rcsim
