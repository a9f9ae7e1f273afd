#include "fake_peer.hpp"

#include <dirent.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace rcsim::test {
namespace {

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() < 0 ? 0 : int(left.count());
}

// Reads exactly n bytes; returns 1 ok, 0 EOF, -1 timeout or error.
int read_exact(int fd, uint8_t *buf, size_t n, std::vector<int> *fds, Clock::time_point deadline) {
    size_t have = 0;
    while (have < n) {
        pollfd p{fd, POLLIN, 0};
        int rc = poll(&p, 1, ms_left(deadline));
        if (rc <= 0)
            return -1;
        alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int) * 64)];
        iovec iov{buf + have, n - have};
        msghdr mh{};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = ctl;
        mh.msg_controllen = sizeof(ctl);
        ssize_t got = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return have == 0 && errno == ECONNRESET ? 0 : -1;
        for (cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < k; i++) {
                int f;
                memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                if (fds)
                    fds->push_back(f);
                else
                    close(f);
            }
        }
        if (got == 0)
            return 0;
        have += size_t(got);
    }
    return 1;
}

} // namespace

uint16_t WireMsg::msg_id() const {
    return uint16_t(get_le(bytes, 0, 2));
}
uint16_t WireMsg::cmd() const {
    return uint16_t(get_le(bytes, 2, 2));
}
uint32_t WireMsg::flags() const {
    return uint32_t(get_le(bytes, 8, 4));
}
void WireMsg::close_fds() {
    for (int f : fds)
        close(f);
    fds.clear();
}

WireMsg recv_msg(int fd, int timeout_ms) {
    WireMsg m;
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    m.bytes.resize(16);
    int rc = read_exact(fd, m.bytes.data(), 16, &m.fds, deadline);
    if (rc <= 0) {
        m.eof = rc == 0;
        m.timeout = rc < 0;
        m.bytes.clear();
        return m;
    }
    uint32_t size = uint32_t(get_le(m.bytes, 4, 4));
    if (size < 16 || size > (64u << 20)) {
        m.timeout = true; // nonsense size: report as a failure to read
        return m;
    }
    m.bytes.resize(size);
    if (size > 16 && read_exact(fd, m.bytes.data() + 16, size - 16, &m.fds, deadline) <= 0) {
        m.timeout = true;
        m.bytes.resize(16);
    }
    return m;
}

bool wait_eof(int fd, int timeout_ms) {
    uint8_t b;
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    return read_exact(fd, &b, 1, nullptr, deadline) == 0;
}

bool send_msg(int fd, const std::vector<uint8_t> &bytes, const std::vector<int> &fds) {
    size_t off = 0;
    bool first = true;
    while (off < bytes.size()) {
        iovec iov{const_cast<uint8_t *>(bytes.data()) + off, bytes.size() - off};
        msghdr mh{};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int) * 64)];
        if (first && !fds.empty()) {
            memset(ctl, 0, sizeof(ctl));
            mh.msg_control = ctl;
            mh.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
            cmsghdr *c = CMSG_FIRSTHDR(&mh);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
            memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
        }
        ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        first = false;
        off += size_t(n);
    }
    return true;
}

void put16(std::vector<uint8_t> &b, uint16_t v) {
    for (int i = 0; i < 2; i++)
        b.push_back(uint8_t(v >> (8 * i)));
}
void put32(std::vector<uint8_t> &b, uint32_t v) {
    for (int i = 0; i < 4; i++)
        b.push_back(uint8_t(v >> (8 * i)));
}
void put64(std::vector<uint8_t> &b, uint64_t v) {
    for (int i = 0; i < 8; i++)
        b.push_back(uint8_t(v >> (8 * i)));
}
uint64_t get_le(const std::vector<uint8_t> &b, size_t off, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n && off + i < b.size(); i++)
        v |= uint64_t(b[off + i]) << (8 * i);
    return v;
}

std::vector<uint8_t> message(uint16_t msg_id, uint16_t cmd, uint32_t flags,
                             const std::vector<uint8_t> &payload, uint32_t error_no) {
    std::vector<uint8_t> b;
    put16(b, msg_id);
    put16(b, cmd);
    put32(b, uint32_t(16 + payload.size()));
    put32(b, flags);
    put32(b, error_no);
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

std::vector<uint8_t> reply(uint16_t msg_id, uint16_t cmd, const std::vector<uint8_t> &payload) {
    return message(msg_id, cmd, 1, payload);
}

std::vector<uint8_t> error_reply(uint16_t msg_id, uint16_t cmd, uint32_t error_no) {
    return message(msg_id, cmd, 0x21, {}, error_no);
}

std::vector<int> open_fds() {
    std::vector<int> out;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return out;
    int self = dirfd(d);
    while (dirent *e = readdir(d)) {
        if (e->d_name[0] == '.')
            continue;
        int fd = atoi(e->d_name);
        if (fd != self)
            out.push_back(fd);
    }
    closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<uint8_t> version_payload(const std::string &json, uint16_t minor) {
    std::vector<uint8_t> p;
    put16(p, 0);
    put16(p, minor);
    p.insert(p.end(), json.begin(), json.end());
    p.push_back(0);
    return p;
}

} // namespace rcsim::test
