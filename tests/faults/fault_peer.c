/* A vfio-user server that misbehaves on purpose: a man-in-the-middle between
 * the client (it listens on --socket) and a real server it starts on another
 * socket. It relays whole messages on the main socket and on the twin socket
 * (proxied through a socketpair of its own, so it can inject there too) and,
 * at the message numbered --at N (counted over both sockets and directions,
 * from 0), injects --fault F instead of or before that message. "none"
 * relays faithfully; the number of messages relayed is printed at exit.
 * big-read / big-write (issue 14 item 9): from the client's first access
 * to BAR0 on (--at is not used), a thread sends --flood-count N (10,000)
 * DMA_READs or DMA_WRITEs (with their data) of 1 MiB each inside the
 * default DMA window, with blocking sends, while the main loop goes on
 * relaying and consuming the client's answers: a flood from a server that
 * does not wait for its replies. */
#include <vfio_user/proto.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAX_FDS = 8, INJECT_ID_BASE = 0xf000 };

struct peer {
    const char *fault;
    long at;
    long count;
    int cli, srv;     /* main socket to the client, to the real server */
    int ctwin, stwin; /* twin socket ends: client side, real server side */
    unsigned inject_id;
    pid_t server;
    FILE *trace; /* FAULT_PEER_TRACE=PATH: one line per message, with time */
    long injected_replies;
    long flood_count; /* big-read / big-write */
    int big_started;
    pthread_mutex_t twin_send; /* the flood thread and the relay share ctwin */
};

struct msg {
    struct vu_hdr hdr;
    uint8_t *body;
    size_t body_len;
    int fds[MAX_FDS];
    int nfds;
};

static int read_full(int fd, void *buf, size_t len) {
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (uint8_t *)buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t len) {
    size_t put = 0;
    while (put < len) {
        ssize_t n = send(fd, (const uint8_t *)buf + put, len - put, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        put += (size_t)n;
    }
    return 0;
}

/* Reads one message; the fds come with the header. */
static int recv_msg(int fd, struct msg *m) {
    char ctl[CMSG_SPACE(sizeof(int) * MAX_FDS)];
    struct iovec iov = {&m->hdr, sizeof m->hdr};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    memset(m, 0, sizeof *m);
    ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
    if (n <= 0)
        return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            memcpy(m->fds + m->nfds, CMSG_DATA(c), sizeof(int) * (size_t)k);
            m->nfds += k;
        }
    if ((size_t)n < sizeof m->hdr &&
        read_full(fd, (uint8_t *)&m->hdr + n, sizeof m->hdr - (size_t)n))
        return -1;
    if (m->hdr.msg_size < sizeof m->hdr || m->hdr.msg_size > (64u << 20))
        return -1;
    m->body_len = m->hdr.msg_size - sizeof m->hdr;
    m->body = malloc(m->body_len + 1);
    if (!m->body || read_full(fd, m->body, m->body_len))
        return -1;
    return 0;
}

static int send_msg(int fd, const struct vu_hdr *h, const void *body, size_t len, const int *fds,
                    int nfds) {
    char ctl[CMSG_SPACE(sizeof(int) * MAX_FDS)];
    struct iovec iov[2] = {{(void *)h, sizeof *h}, {(void *)body, len}};
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
    memset(ctl, 0, sizeof ctl);
    if (nfds > 0) {
        mh.msg_control = ctl;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);
    if (n < 0)
        return -1;
    size_t total = sizeof *h + len;
    if ((size_t)n < total) { /* the rest without fds */
        size_t done = (size_t)n;
        if (done < sizeof *h) {
            if (write_full(fd, (const uint8_t *)h + done, sizeof *h - done))
                return -1;
            done = sizeof *h;
        }
        return write_full(fd, (const uint8_t *)body + (done - sizeof *h), total - done);
    }
    return 0;
}

static void free_msg(struct msg *m) {
    for (int i = 0; i < m->nfds; ++i)
        close(m->fds[i]);
    free(m->body);
    m->body = NULL;
    m->nfds = 0;
}

/* The harness stops its server with SIGTERM: say how far the run got, and
 * take the real server along. Only the signal handler needs this pointer. */
static const struct peer *g_peer;

static void on_sigterm(int sig) {
    char buf[96];
    int n = snprintf(buf, sizeof buf, "fault_peer: stopped after %ld messages\n", g_peer->count);
    (void)!write(2, buf, (size_t)n);
    if (g_peer->server > 0)
        kill(g_peer->server, SIGTERM);
    _exit(128 + sig);
}

static void finish(const struct peer *p, const char *why) {
    fprintf(stderr, "fault_peer: %s after %ld messages\n", why, p->count);
    if (p->server > 0) {
        kill(p->server, SIGTERM);
        waitpid(p->server, NULL, 0);
    }
    exit(0);
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char *sock_name(const struct peer *p, int fd) {
    if (fd == p->cli)
        return "client main";
    if (fd == p->srv)
        return "server main";
    return fd == p->ctwin ? "client twin" : "server twin";
}

static void trace(const struct peer *p, const char *what, int from, const struct vu_hdr *h) {
    if (p->trace)
        fprintf(p->trace, "%.3f ms %s #%ld from %s: cmd %u id %u flags %#x size %u\n", now_ms(),
                what, p->count, sock_name(p, from), h->cmd, h->msg_id, h->flags, h->msg_size);
}

static int is_reply(const struct msg *m) {
    return (m->hdr.flags & VU_F_TYPE_MASK) == VU_F_TYPE_REPLY;
}

/* Sends a DMA_READ of `count` bytes at `addr` to the client on the twin
 * socket (the main socket if there is no twin). */
static void inject_dma_read(struct peer *p, uint64_t addr, uint64_t count) {
    struct vu_dma_access a = {addr, count};
    struct vu_hdr h = {(uint16_t)(INJECT_ID_BASE + (p->inject_id++ & 0xfff)), VU_CMD_DMA_READ,
                       (uint32_t)(sizeof h + sizeof a), VU_F_TYPE_COMMAND, 0};
    int fd = p->ctwin >= 0 ? p->ctwin : p->cli;
    if (send_msg(fd, &h, &a, sizeof a, NULL, 0))
        finish(p, "client gone during injection");
}

static void relay_one(struct peer *p, int from);

enum { BIG = 1 << 20 };

/* big-read / big-write: 1 MiB commands cycling over the first 15 MiB of the
 * default window (16 MiB at 0x10000000), sent as fast as the client reads. */
static void *big_flood(void *arg) {
    struct peer *p = arg;
    int write = !strcmp(p->fault, "big-write");
    uint8_t *data = write ? malloc(BIG) : NULL;
    if (data)
        memset(data, 0x5a, BIG);
    struct {
        struct vu_dma_access a;
        uint8_t data[];
    } *body = malloc(sizeof(struct vu_dma_access) + (write ? BIG : 0));
    if (!body || (write && !data))
        finish(p, "out of memory");
    for (long i = 0; i < p->flood_count; ++i) {
        body->a.addr = 0x10000000ull + (uint64_t)(i % 15) * BIG;
        body->a.count = BIG;
        if (write)
            memcpy(body->data, data, BIG);
        size_t len = sizeof body->a + (write ? BIG : 0);
        struct vu_hdr h = {(uint16_t)(INJECT_ID_BASE + (p->inject_id++ & 0xfff)),
                           write ? VU_CMD_DMA_WRITE : VU_CMD_DMA_READ, (uint32_t)(sizeof h + len),
                           VU_F_TYPE_COMMAND, 0};
        pthread_mutex_lock(&p->twin_send);
        int rc = send_msg(p->ctwin, &h, body, len, NULL, 0);
        pthread_mutex_unlock(&p->twin_send);
        if (rc) {
            fprintf(stderr, "fault_peer: big flood: client gone after %ld sent\n", i);
            break;
        }
    }
    fprintf(stderr, "fault_peer: big flood of %ld sent\n", p->flood_count);
    free(body);
    free(data);
    return NULL;
}

/* The client's first access to BAR0 (region 0) starts the big flood. */
static void maybe_start_big(struct peer *p, const struct msg *m, int from) {
    if (p->big_started || strncmp(p->fault, "big-", 4) || from != p->cli || is_reply(m) ||
        (m->hdr.cmd != VU_CMD_REGION_READ && m->hdr.cmd != VU_CMD_REGION_WRITE) ||
        m->body_len < 12 || p->ctwin < 0)
        return;
    uint32_t region;
    memcpy(&region, m->body + 8, sizeof region);
    if (region != 0)
        return;
    p->big_started = 1;
    pthread_t t;
    if (pthread_create(&t, NULL, big_flood, p) || pthread_detach(t))
        finish(p, "cannot start the flood thread");
}

/* Replies to our own injected commands are consumed here. */
static int is_injected_reply(const struct msg *m) {
    return is_reply(m) && m->hdr.msg_id >= INJECT_ID_BASE;
}

static void flood(struct peer *p) {
    int fd = p->ctwin >= 0 ? p->ctwin : p->cli;
    for (int i = 0; i < 10000; ++i) {
        struct pollfd pf = {fd, POLLIN, 0};
        while (poll(&pf, 1, 0) > 0 && (pf.revents & POLLIN))
            relay_one(p, fd);
        if (p->trace && i % 500 == 0)
            fprintf(p->trace, "%.3f ms flood %d sent, %ld answered\n", now_ms(), i,
                    p->injected_replies);
        inject_dma_read(p, 0x10100000ull, 16);
    }
}

/* Applies the fault to message m (to be sent to `to`); returns 1 if m was
 * consumed. */
static int inject(struct peer *p, struct msg *m, int to) {
    const char *f = p->fault;
    /* Which side's message it is decides who can notice: the harness checks
     * what the server sends, the server what the harness sends. */
    fprintf(stderr, "fault_peer: %s at #%ld, a %s %u from the %s\n", f, p->at,
            is_reply(m) ? "reply" : "command", m->hdr.cmd,
            to == p->cli || to == p->ctwin ? "server" : "client");
    if (!strcmp(f, "close"))
        finish(p, "closing on purpose");
    if (!strcmp(f, "short")) {
        size_t half = (sizeof m->hdr + m->body_len) / 2;
        uint8_t buf[sizeof m->hdr];
        memcpy(buf, &m->hdr, sizeof buf);
        (void)write_full(to, buf, half < sizeof buf ? half : sizeof buf);
        if (half > sizeof buf)
            (void)write_full(to, m->body, half - sizeof buf);
        finish(p, "short message sent, closing");
    }
    if (!strcmp(f, "oversize")) {
        m->hdr.msg_size = 0xfffffff0u;
        (void)write_full(to, &m->hdr, sizeof m->hdr);
        finish(p, "oversized msg_size sent, closing");
    }
    if (!strcmp(f, "wrong-id"))
        m->hdr.msg_id ^= 0x5a5a;
    else if (!strcmp(f, "wrong-cmd"))
        m->hdr.cmd = m->hdr.cmd == VU_CMD_DMA_READ ? VU_CMD_DMA_WRITE : VU_CMD_DMA_READ;
    else if (!strcmp(f, "error")) {
        m->hdr.flags |= VU_F_ERROR;
        m->hdr.error_no = EIO;
        m->hdr.msg_size = sizeof m->hdr;
        m->body_len = 0;
    } else if (!strcmp(f, "fds")) {
        int e = eventfd(0, EFD_CLOEXEC);
        if (e >= 0 && m->nfds < MAX_FDS)
            m->fds[m->nfds++] = e;
    } else if (!strcmp(f, "dma-oob"))
        inject_dma_read(p, 0x1000, 64);
    else if (!strcmp(f, "dma-wrap"))
        inject_dma_read(p, 0xffffffffffffff00ull, 0x200);
    else if (!strcmp(f, "flood"))
        flood(p);
    return 0;
}

static int peer_of(const struct peer *p, int from) {
    if (from == p->cli)
        return p->srv;
    if (from == p->srv)
        return p->cli;
    if (from == p->ctwin)
        return p->stwin;
    return p->ctwin;
}

/* The real server's VERSION reply carries its twin socket: the client gets
 * one end of our own socketpair instead. */
static void proxy_twin(struct peer *p, struct msg *m) {
    if (!is_reply(m) || m->hdr.cmd != VU_CMD_VERSION || m->nfds != 1 || p->stwin >= 0)
        return;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
        return;
    p->stwin = m->fds[0];
    p->ctwin = sv[0];
    m->fds[0] = sv[1];
}

static void relay_one(struct peer *p, int from) {
    struct msg m;
    if (recv_msg(from, &m)) {
        free_msg(&m);
        finish(p, from == p->cli || from == p->ctwin ? "client closed" : "server closed");
    }
    if ((from == p->cli || from == p->ctwin) && is_injected_reply(&m)) {
        if (strcmp(p->fault, "flood") != 0)
            fprintf(stderr, "fault_peer: injected command %s (errno %u)\n",
                    m.hdr.flags & VU_F_ERROR ? "refused" : "ANSWERED", m.hdr.error_no);
        p->injected_replies++;
        free_msg(&m);
        return;
    }
    int to = peer_of(p, from);
    trace(p, "relay", from, &m.hdr);
    maybe_start_big(p, &m, from);
    if (from == p->srv)
        proxy_twin(p, &m);
    if (p->count++ == p->at && inject(p, &m, to)) {
        free_msg(&m);
        return;
    }
    if (to == p->ctwin)
        pthread_mutex_lock(&p->twin_send);
    int sent = send_msg(to, &m.hdr, m.body, m.body_len, m.fds, m.nfds);
    if (to == p->ctwin)
        pthread_mutex_unlock(&p->twin_send);
    if (sent) {
        free_msg(&m);
        finish(p, "send failed");
    }
    free_msg(&m);
}

static int unix_listen(const char *path) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 1))
        return -1;
    return fd;
}

static int unix_connect(const char *path) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    for (int i = 0; i < 500; ++i) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
            return fd;
        if (fd >= 0)
            close(fd);
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

static pid_t start_server(const char *prog, const char *sock) {
    pid_t pid = fork();
    if (pid == 0) {
        execl(prog, prog, "--socket", sock, (char *)NULL);
        _exit(127);
    }
    return pid;
}

int main(int argc, char **argv) {
    struct peer p = {.fault = "none",
                     .at = -1,
                     .cli = -1,
                     .srv = -1,
                     .ctwin = -1,
                     .stwin = -1,
                     .flood_count = 10000,
                     .twin_send = PTHREAD_MUTEX_INITIALIZER};
    if (getenv("FAULT_PEER_TRACE")) {
        p.trace = fopen(getenv("FAULT_PEER_TRACE"), "ae");
        if (p.trace)
            setvbuf(p.trace, NULL, _IOLBF, 0);
    }
    const char *sock = NULL, *server = NULL;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--fault") && i + 1 < argc)
            p.fault = argv[++i];
        else if (!strcmp(argv[i], "--at") && i + 1 < argc)
            p.at = strtol(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--flood-count") && i + 1 < argc)
            p.flood_count = strtol(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--socket") && i + 1 < argc)
            sock = argv[++i];
        else
            server = argv[i];
    }
    if (!sock || !server) {
        fprintf(stderr,
                "usage: fault_peer [--fault F --at N] [--flood-count N] SERVER --socket PATH\n");
        return 2;
    }
    char inner[sizeof(((struct sockaddr_un *)0)->sun_path)];
    snprintf(inner, sizeof inner, "%s.inner", sock);
    int lfd = unix_listen(sock);
    if (lfd < 0) {
        perror("fault_peer: listen");
        return 1;
    }
    pid_t child = start_server(server, inner);
    p.server = child;
    p.srv = unix_connect(inner);
    if (p.srv < 0) {
        fprintf(stderr, "fault_peer: cannot reach %s\n", server);
        kill(child, SIGKILL);
        return 1;
    }
    unlink(inner);
    g_peer = &p;
    signal(SIGTERM, on_sigterm);
    p.cli = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    close(lfd);
    if (p.cli < 0)
        return 1;
    for (;;) {
        struct pollfd pf[4] = {
            {p.cli, POLLIN, 0}, {p.srv, POLLIN, 0}, {p.ctwin, POLLIN, 0}, {p.stwin, POLLIN, 0}};
        if (poll(pf, 4, -1) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 4; ++i)
            if (pf[i].fd >= 0 && (pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                relay_one(&p, pf[i].fd);
    }
    finish(&p, "poll failed");
    return 0;
}
