/*
 * UNIX stream socket transport: sendmsg/recvmsg with SCM_RIGHTS. Sends block
 * until the whole message is out (MSG_NOSIGNAL: a dead peer is an error, not
 * a signal); receives either do not block (MSG_DONTWAIT) or block at most
 * for the socket's SO_RCVTIMEO, which the context sets to its timeout.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client_internal.h"

#define MAX_TX_FDS 253 /* SCM_MAX_FD */

static int send_first(int sock, struct iovec *iov, int iovcnt, const int *fds, size_t nfds) {
    union {
        char buf[CMSG_SPACE(sizeof(int) * MAX_TX_FDS)];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)iovcnt};
    if (nfds > 0) {
        memset(&u, 0, sizeof(u));
        mh.msg_control = u.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    ssize_t n;
    do {
        n = sendmsg(sock, &mh, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : (int)n;
}

/* Advances iov past n sent bytes; returns the new start index. */
static int skip_sent(struct iovec *iov, int iovcnt, size_t n) {
    int i = 0;
    while (i < iovcnt && n >= iov[i].iov_len) {
        n -= iov[i].iov_len;
        i++;
    }
    if (i < iovcnt) {
        iov[i].iov_base = (char *)iov[i].iov_base + n;
        iov[i].iov_len -= n;
    }
    return i;
}

static int sock_send(int sock, const struct iovec *iov_in, int iovcnt, const int *fds,
                     size_t nfds) {
    struct iovec iov[8];
    if (iovcnt > 8 || nfds > MAX_TX_FDS)
        return -EINVAL;
    memcpy(iov, iov_in, sizeof(*iov) * (size_t)iovcnt);
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++)
        total += iov[i].iov_len;
    int start = 0;
    while (total > 0) {
        int n = send_first(sock, iov + start, iovcnt - start, fds, nfds);
        if (n == -EAGAIN || n == -EWOULDBLOCK)
            return -ETIMEDOUT; /* SO_SNDTIMEO ran out: the peer stopped reading */
        if (n < 0)
            return n == -EPIPE ? -ECONNRESET : n;
        fds = NULL, nfds = 0; /* fds ride on the first byte only */
        total -= (size_t)n;
        start += skip_sent(iov + start, iovcnt - start, (size_t)n);
    }
    return 0;
}

static void take_fds(struct msghdr *mh, int *fds, unsigned *nfds, unsigned max_fds) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (*nfds < max_fds)
                fds[(*nfds)++] = fd;
            else
                close(fd);
        }
    }
}

static long sock_recv(int sock, void *buf, size_t len, int *fds, unsigned *nfds, unsigned max_fds,
                      bool wait) {
    union {
        char buf[CMSG_SPACE(sizeof(int) * VUC_RX_MAX_FDS)];
        struct cmsghdr align;
    } u;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    int flags = MSG_CMSG_CLOEXEC | (wait ? 0 : MSG_DONTWAIT);
    ssize_t n;
    do {
        n = recvmsg(sock, &mh, flags);
    } while (n < 0 && errno == EINTR && !wait);
    /* A signal ends a blocking read early: the caller's clock decides what
     * time is left, so restarting here could overrun its timeout. */
    if (n < 0)
        return errno == EWOULDBLOCK || errno == EINTR ? -EAGAIN : -errno;
    take_fds(&mh, fds, nfds, max_fds);
    return n;
}

const struct vuc_transport_ops vuc_sock_transport = {.send = sock_send, .recv = sock_recv};
