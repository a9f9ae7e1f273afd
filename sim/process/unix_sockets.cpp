#include "unix_sockets.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace rcsim {

namespace {

struct UnixListener {
    unsigned long inode;
    std::string path;
};

std::vector<UnixListener> unix_listeners() {
    std::vector<UnixListener> out;
    std::ifstream in("/proc/net/unix");
    std::string line;
    std::getline(in, line); // header
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string num, refs, proto, flags, type, state;
        unsigned long inode = 0;
        if (!(fields >> num >> refs >> proto >> flags >> type >> state >> inode))
            continue;
        unsigned long f = std::strtoul(flags.c_str(), nullptr, 16);
        if ((f & 0x10000UL) == 0) // __SO_ACCEPTCON: listen() was called
            continue;
        UnixListener l{inode, {}};
        std::getline(fields >> std::ws, l.path);
        out.push_back(std::move(l));
    }
    return out;
}

// Inodes of the sockets `pid` holds open, from its /proc/PID/fd links
// ("socket:[N]"); false if they cannot be read.
bool socket_inodes_of(pid_t pid, std::vector<unsigned long> *inodes) {
    std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    DIR *d = opendir(dir.c_str());
    if (d == nullptr)
        return false;
    while (struct dirent *e = readdir(d)) {
        char target[64];
        ssize_t n = readlinkat(dirfd(d), e->d_name, target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        unsigned long inode = 0;
        if (std::sscanf(target, "socket:[%lu]", &inode) == 1)
            inodes->push_back(inode);
    }
    closedir(d);
    return true;
}

bool same_file(const std::string &a, const std::string &b) {
    struct stat sa, sb;
    return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

} // namespace

int socket_peer_pid(int fd, pid_t *pid) {
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return -errno;
    if (cred.pid > 0) {
        *pid = cred.pid;
        return 0;
    }
    // pid 0: either not connected, or the peer lives in a PID namespace this
    // process cannot see (then it cannot be inspected either).
    struct sockaddr_storage peer;
    socklen_t peer_len = sizeof peer;
    if (getpeername(fd, reinterpret_cast<struct sockaddr *>(&peer), &peer_len) < 0)
        return -errno;
    return -ESRCH;
}

int unix_socket_listening(const std::string &path, pid_t owner) {
    if (access("/proc/net/unix", R_OK) != 0)
        return -errno;
    std::vector<unsigned long> owned;
    bool filter = owner > 0 && socket_inodes_of(owner, &owned);
    std::string owner_cwd = owner > 0 ? "/proc/" + std::to_string(owner) + "/cwd/" : "";
    for (const UnixListener &l : unix_listeners()) {
        if (filter && std::find(owned.begin(), owned.end(), l.inode) == owned.end())
            continue; // a stale listener of another process on the same path
        if (l.path.empty() || l.path[0] == '@')
            continue; // unnamed or abstract
        // A relative bind shows its relative name: resolve it in the owner's cwd.
        if (l.path == path || (l.path[0] == '/' && same_file(l.path, path)) ||
            (l.path[0] != '/' && !owner_cwd.empty() && same_file(owner_cwd + l.path, path)))
            return 1;
    }
    return 0;
}

} // namespace rcsim
