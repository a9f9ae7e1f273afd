#include "process_cleanup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

namespace rcsim {

namespace {

constexpr size_t kSlots = 64;
constexpr size_t kMaxTree = 1024;

struct Slot {
    volatile sig_atomic_t used;
    pid_t pid;
};

// One table per kind; the only process-wide state of the harness (see the
// header for why). The paths live apart from the slots: every forked run
// child clears the slots it inherited, and with a path in each slot that
// wrote 192 pages 4 KiB apart, each a copy-on-write fault (a quarter of a
// --reset device run's CPU time on a 2-core VM). Now it writes one page.
Slot g_slots[3][kSlots];
char g_paths[3][kSlots][PATH_MAX];

class SignalsBlocked {
  public:
    SignalsBlocked() {
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, &old_);
    }
    ~SignalsBlocked() { sigprocmask(SIG_SETMASK, &old_, nullptr); }

  private:
    sigset_t old_;
};

void nap_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

// Parent pid from /proc/PID/stat ("pid (comm) S ppid ..."; comm may hold
// blanks and parentheses, so read from the last ')').
pid_t parent_of(pid_t pid) {
    char path[64] = "/proc/";
    char num[24];
    size_t n = 0;
    for (pid_t p = pid; p > 0 && n < sizeof num; p /= 10)
        num[n++] = char('0' + p % 10);
    size_t at = 6;
    while (n > 0)
        path[at++] = num[--n];
    std::memcpy(path + at, "/stat", 6);
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buf[512];
    const ssize_t got = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (got <= 0)
        return -1;
    buf[got] = 0;
    const char *close_paren = std::strrchr(buf, ')');
    if (!close_paren || close_paren[1] != ' ' || close_paren[2] == 0 || close_paren[3] != ' ')
        return -1;
    pid_t ppid = 0;
    for (const char *p = close_paren + 4; *p >= '0' && *p <= '9'; ++p)
        ppid = ppid * 10 + (*p - '0');
    return ppid;
}

bool contains(const pid_t *set, size_t n, pid_t pid) {
    for (size_t i = 0; i < n; ++i)
        if (set[i] == pid)
            return true;
    return false;
}

// One pass over /proc: adds every process whose parent is in {root} + out.
bool scan_once(pid_t root, pid_t *out, size_t max, size_t *n) {
    const int dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return false;
    bool grew = false;
    alignas(8) char buf[8192];
    for (;;) {
        const long got = syscall(SYS_getdents64, dir, buf, sizeof buf);
        if (got <= 0)
            break;
        for (long off = 0; off < got;) {
            const auto *d = reinterpret_cast<const struct dirent64 *>(buf + off);
            off += d->d_reclen;
            pid_t pid = 0;
            const char *c = d->d_name;
            for (; *c >= '0' && *c <= '9'; ++c)
                pid = pid * 10 + (*c - '0');
            if (*c != 0 || pid <= 1 || pid == root || contains(out, *n, pid))
                continue;
            const pid_t ppid = parent_of(pid);
            if ((ppid == root || contains(out, *n, ppid)) && *n < max) {
                out[(*n)++] = pid;
                grew = true;
            }
        }
    }
    close(dir);
    return grew;
}

void kill_descendants(pid_t root, int sig) {
    pid_t tree[kMaxTree];
    const size_t n = list_descendants(root, tree, kMaxTree);
    for (size_t i = 0; i < n; ++i)
        kill(tree[i], sig);
}

// `root` leads its own process group (servers and run children do).
void kill_tree(pid_t root, int sig) {
    kill_descendants(root, sig);
    kill(root, sig);
    kill(-root, sig);
}

// Run children clean up their own servers and folders on SIGTERM; those
// that do not finish within the grace period are killed with their tree.
void stop_runs() {
    bool any = false;
    for (Slot &s : g_slots[int(CleanupKind::Run)])
        if (s.used) {
            kill(-s.pid, SIGTERM);
            kill(s.pid, SIGTERM);
            any = true;
        }
    for (int waited = 0; any && waited < 3000; waited += 10) {
        any = false;
        for (Slot &s : g_slots[int(CleanupKind::Run)])
            if (s.used && waitpid(s.pid, nullptr, WNOHANG) == 0)
                any = true;
        if (any)
            nap_ms(10);
    }
    for (Slot &s : g_slots[int(CleanupKind::Run)])
        if (s.used)
            kill_tree(s.pid, SIGKILL);
}

void on_signal(int sig) {
    stop_runs();
    for (Slot &s : g_slots[int(CleanupKind::Server)])
        if (s.used)
            kill_tree(s.pid, SIGKILL);
    kill_descendants(getpid(), SIGKILL); // orphans adopted as subreaper
    for (size_t i = 0; i < kSlots; ++i)
        if (g_slots[int(CleanupKind::Dir)][i].used)
            remove_tree(g_paths[int(CleanupKind::Dir)][i]);
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

// Passes over the directory until one removes nothing (removing entries
// while reading it may skip some in the pass that removed them).
int remove_below(int dir_fd) {
    alignas(8) char buf[8192];
    int rc = 0;
    for (int pass = 0; pass < 64; ++pass) {
        bool removed = false;
        lseek(dir_fd, 0, SEEK_SET);
        long got;
        while ((got = syscall(SYS_getdents64, dir_fd, buf, sizeof buf)) > 0) {
            for (long off = 0; off < got;) {
                const auto *d = reinterpret_cast<const struct dirent64 *>(buf + off);
                off += d->d_reclen;
                if (!std::strcmp(d->d_name, ".") || !std::strcmp(d->d_name, ".."))
                    continue;
                if (d->d_type == DT_DIR) {
                    const int sub =
                        openat(dir_fd, d->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                    if (sub >= 0) {
                        remove_below(sub);
                        close(sub);
                    }
                }
                const int flags = d->d_type == DT_DIR ? AT_REMOVEDIR : 0;
                if (unlinkat(dir_fd, d->d_name, flags) == 0)
                    removed = true;
                else
                    rc = -errno;
            }
        }
        if (got < 0)
            return -errno;
        if (!removed)
            return rc;
        rc = 0;
    }
    return rc;
}

} // namespace

size_t list_descendants(pid_t root, pid_t *out, size_t max) {
    size_t n = 0;
    // Each pass finds one more generation at least; a tree deeper than
    // this is not a server's.
    for (int pass = 0; pass < 16 && scan_once(root, out, max, &n); ++pass) {
    }
    return n;
}

std::vector<pid_t> descendants_of(pid_t root) {
    pid_t tree[kMaxTree];
    const size_t n = list_descendants(root, tree, kMaxTree);
    return std::vector<pid_t>(tree, tree + n);
}

int remove_tree(const char *path) {
    const int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return unlink(path) < 0 ? -errno : 0;
    remove_below(fd);
    close(fd);
    return rmdir(path) < 0 ? -errno : 0;
}

void install_cleanup_on_signals() {
    prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0, 0, 0);
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigfillset(&sa.sa_mask); // one cleanup at a time
    for (int sig : {SIGINT, SIGTERM, SIGHUP})
        sigaction(sig, &sa, nullptr);
}

void cleanup_forget_inherited() {
    SignalsBlocked blocked;
    for (auto &table : g_slots)
        for (Slot &s : table)
            s.used = 0;
}

void cleanup_register(CleanupKind kind, pid_t pid, const std::string &path) {
    if (path.size() >= PATH_MAX)
        return;
    SignalsBlocked blocked;
    for (size_t i = 0; i < kSlots; ++i) {
        Slot &s = g_slots[int(kind)][i];
        if (!s.used) {
            s.pid = pid;
            std::memcpy(g_paths[int(kind)][i], path.c_str(), path.size() + 1);
            s.used = 1;
            return;
        }
    }
}

void cleanup_unregister(CleanupKind kind, pid_t pid, const std::string &path) {
    SignalsBlocked blocked;
    for (size_t i = 0; i < kSlots; ++i) {
        Slot &s = g_slots[int(kind)][i];
        if (s.used && s.pid == pid && path == g_paths[int(kind)][i])
            s.used = 0;
    }
}

} // namespace rcsim
