#include "server_stream.h"

#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

void *server_stream_drain(void *arg) {
    int fd = *(int *)arg;
    uint8_t buf[65536];
    char cbuf[CMSG_SPACE(sizeof(int) * 16)];
    for (;;) {
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
        struct msghdr m = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
        ssize_t n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); n >= 0 && c != NULL; c = CMSG_NXTHDR(&m, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            int fds[16];
            memcpy(fds, CMSG_DATA(c), k * sizeof(int));
            for (size_t i = 0; i < k; i++)
                close(fds[i]);
        }
        if (n <= 0)
            return NULL;
    }
}

int server_stream_send(int fd, const uint8_t *data, size_t size, unsigned nfds) {
    int efds[3];
    char cbuf[CMSG_SPACE(sizeof(efds))];
    struct iovec iov = {.iov_base = (void *)data, .iov_len = size};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds > 3)
        nfds = 3;
    for (unsigned i = 0; i < nfds; i++)
        efds[i] = eventfd(0, EFD_CLOEXEC);
    if (nfds > 0) {
        memset(cbuf, 0, sizeof(cbuf));
        m.msg_control = cbuf;
        m.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(c), efds, nfds * sizeof(int));
    }
    ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);
    for (unsigned i = 0; i < nfds; i++)
        close(efds[i]);
    return n == (ssize_t)size ? 0 : -1;
}
