/*
 * Which socket is at the other end of a Unix socket, by inode, from the
 * kernel's sock_diag netlink interface (what `ss -x` shows as the peer).
 * Nothing else tells a socketpair's two ends apart from two unrelated
 * sockets: neither has a name.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client_internal.h"

struct diag_query {
    struct nlmsghdr nlh;
    struct unix_diag_req req;
};

/* The UNIX_DIAG_PEER attribute of one answer, or -ENOENT. */
static int find_peer(const struct nlmsghdr *h, size_t len, uint32_t *peer) {
    if (!NLMSG_OK(h, len) || h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
        h->nlmsg_len < NLMSG_LENGTH(sizeof(struct unix_diag_msg)))
        return h->nlmsg_type == NLMSG_ERROR ? -EOPNOTSUPP : -EPROTO;
    const struct unix_diag_msg *m = NLMSG_DATA(h);
    int alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
    for (const struct rtattr *a = (const struct rtattr *)(m + 1); RTA_OK(a, alen);
         a = RTA_NEXT(a, alen))
        if (a->rta_type == UNIX_DIAG_PEER && RTA_PAYLOAD(a) >= sizeof(uint32_t)) {
            memcpy(peer, RTA_DATA(a), sizeof(uint32_t));
            return 0;
        }
    return -ENOENT;
}

int vuc_unix_peer_ino(int fd, uint64_t *peer_ino) {
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (nl < 0)
        return -errno;
    struct diag_query q = {.nlh = {.nlmsg_len = sizeof(q),
                                   .nlmsg_type = SOCK_DIAG_BY_FAMILY,
                                   .nlmsg_flags = NLM_F_REQUEST},
                           .req = {.sdiag_family = AF_UNIX,
                                   .udiag_states = ~0u,
                                   .udiag_ino = (uint32_t)st.st_ino,
                                   .udiag_show = UDIAG_SHOW_PEER,
                                   .udiag_cookie = {~0u, ~0u}}}; /* no cookie: look up by inode */
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    union {
        struct nlmsghdr h;
        char buf[1024];
    } ans;
    ssize_t n = -1;
    if (sendto(nl, &q, sizeof(q), 0, (struct sockaddr *)&kernel, sizeof(kernel)) == sizeof(q))
        n = recv(nl, &ans, sizeof(ans), 0);
    int err = n < 0 ? -errno : 0;
    close(nl);
    if (err < 0)
        return err;
    uint32_t peer = 0;
    int rc = find_peer(&ans.h, (size_t)n, &peer);
    if (rc == 0)
        *peer_ino = peer;
    return rc;
}
