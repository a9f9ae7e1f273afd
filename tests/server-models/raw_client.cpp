#include "raw_client.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace rcsim::test {

vu_hdr RawMessage::hdr() const {
    vu_hdr h{};
    memcpy(&h, bytes.data(), sizeof(h));
    return h;
}

RawSocket::~RawSocket() {
    close();
}

RawSocket &RawSocket::operator=(RawSocket &&o) noexcept {
    if (this != &o) {
        close();
        fd_ = o.fd_;
        o.fd_ = -1;
    }
    return *this;
}

void RawSocket::close() {
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
}

bool RawSocket::connect_to(const std::string &path, std::string *err) {
    close();
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof(addr.sun_path)) {
        *err = "socket path too long";
        return false;
    }
    memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) < 0) {
        *err = std::string("connect ") + path + ": " + strerror(errno);
        close();
        return false;
    }
    return true;
}

bool RawSocket::send_bytes(const std::vector<uint8_t> &b, const std::vector<int> &fds) {
    iovec iov{const_cast<uint8_t *>(b.data()), b.size()};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    std::vector<char> ctl(CMSG_SPACE(sizeof(int) * (fds.empty() ? 1 : fds.size())));
    if (!fds.empty()) {
        mh.msg_control = ctl.data();
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
        cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    size_t sent = 0;
    while (sent < b.size()) {
        ssize_t n = sendmsg(fd_, &mh, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        sent += size_t(n);
        iov.iov_base = const_cast<uint8_t *>(b.data()) + sent;
        iov.iov_len = b.size() - sent;
        mh.msg_control = nullptr;
        mh.msg_controllen = 0;
    }
    return true;
}

bool RawSocket::recv_exact(uint8_t *buf, size_t len, int timeout_ms, std::vector<int> *fds) {
    size_t got = 0;
    while (got < len) {
        pollfd p{fd_, POLLIN, 0};
        int r = poll(&p, 1, timeout_ms);
        if (r <= 0)
            return false;
        iovec iov{buf + got, len - got};
        char ctl[CMSG_SPACE(sizeof(int) * 16)];
        msghdr mh{};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = ctl;
        mh.msg_controllen = sizeof(ctl);
        ssize_t n = recvmsg(fd_, &mh, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        for (cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            int *in = reinterpret_cast<int *>(CMSG_DATA(c));
            for (size_t i = 0; i < k; i++) {
                if (fds)
                    fds->push_back(in[i]);
                else
                    ::close(in[i]);
            }
        }
        got += size_t(n);
    }
    return true;
}

std::optional<RawMessage> RawSocket::recv_message(int timeout_ms) {
    RawMessage m;
    m.bytes.resize(sizeof(vu_hdr));
    if (!recv_exact(m.bytes.data(), sizeof(vu_hdr), timeout_ms, &m.fds))
        return std::nullopt;
    vu_hdr h = m.hdr();
    if (h.msg_size < sizeof(vu_hdr) || h.msg_size > 64u * 1024 * 1024)
        return std::nullopt;
    m.bytes.resize(h.msg_size);
    if (!recv_exact(m.bytes.data() + sizeof(vu_hdr), h.msg_size - sizeof(vu_hdr), timeout_ms,
                    &m.fds))
        return std::nullopt;
    return m;
}

bool RawSocket::quiet_for(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    return poll(&p, 1, timeout_ms) == 0;
}

bool RawSocket::no_message_for(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) == 0)
        return true;
    char c;
    return recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

bool RawSocket::eof_within(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0)
        return false;
    char c;
    return recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

std::vector<uint8_t> make_msg(uint16_t id, uint16_t cmd, const void *payload, size_t len,
                              uint32_t flags) {
    vu_hdr h{};
    h.msg_id = id;
    h.cmd = cmd;
    h.msg_size = uint32_t(sizeof(h) + len);
    h.flags = flags;
    std::vector<uint8_t> out(sizeof(h) + len);
    memcpy(out.data(), &h, sizeof(h));
    if (len)
        memcpy(out.data() + sizeof(h), payload, len);
    return out;
}

std::vector<uint8_t> version_msg(uint16_t id, const std::string &json) {
    std::vector<uint8_t> p(4 + json.size() + 1, 0);
    p[2] = VU_VERSION_MINOR;
    memcpy(p.data() + 4, json.c_str(), json.size() + 1);
    return make_msg(id, VU_CMD_VERSION, p.data(), p.size());
}

std::vector<uint8_t> region_read_msg(uint16_t id, uint32_t region, uint64_t off, uint32_t count) {
    vu_region_access ra{off, region, count};
    return make_msg(id, VU_CMD_REGION_READ, &ra, sizeof(ra));
}

std::vector<uint8_t> region_write_msg(uint16_t id, uint32_t region, uint64_t off,
                                      const std::vector<uint8_t> &data) {
    std::vector<uint8_t> p(sizeof(vu_region_access) + data.size());
    vu_region_access ra{off, region, uint32_t(data.size())};
    memcpy(p.data(), &ra, sizeof(ra));
    if (!data.empty())
        memcpy(p.data() + sizeof(ra), data.data(), data.size());
    return make_msg(id, VU_CMD_REGION_WRITE, p.data(), p.size());
}

std::vector<uint8_t> dma_map_msg(uint16_t id, uint64_t addr, uint64_t size, uint32_t flags) {
    vu_dma_map m{sizeof(vu_dma_map), flags, 0, addr, size};
    return make_msg(id, VU_CMD_DMA_MAP, &m, sizeof(m));
}

std::string hex(const std::vector<uint8_t> &b, size_t max) {
    static const char *d = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < b.size() && i < max; i++) {
        s += d[b[i] >> 4];
        s += d[b[i] & 15];
    }
    if (b.size() > max)
        s += "...(" + std::to_string(b.size()) + " bytes)";
    return s;
}

bool open_session(const std::string &path, bool want_twin, uint32_t max_xfer, RawSocket *main,
                  RawSocket *twin, std::string *version_json) {
    std::string err;
    if (!main->connect_to(path, &err)) {
        ADD_FAILURE() << err;
        return false;
    }
    const std::string json =
        "{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":" + std::to_string(max_xfer) +
        (want_twin ? ",\"twin_socket\":{\"supported\":true}}}" : "}}");
    if (!main->send_bytes(version_msg(1, json)))
        return false;
    auto r = main->recv_message(3000);
    if (!r || (r->hdr().flags & VU_F_ERROR) || r->payload_len() < 4) {
        ADD_FAILURE() << "VERSION failed";
        return false;
    }
    if (version_json)
        version_json->assign(reinterpret_cast<const char *>(r->payload()) + 4,
                             r->payload_len() - 4);
    if (!r->fds.empty())
        *twin = RawSocket(r->fds[0]);
    return true;
}

} // namespace rcsim::test
