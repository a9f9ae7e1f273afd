/*
 * The context and the pieces the client's files share. Not installed: only
 * client/src includes it.
 */
#ifndef VFIO_USER_CLIENT_INTERNAL_H
#define VFIO_USER_CLIENT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vfio_user/client.h"
#include "vfio_user/client_parse.h"

#define VUC_HDR_SIZE sizeof(struct vu_hdr)
/* fds one received message may carry before the kernel truncates (and
 * closes) the rest; more than any reply the protocol defines needs. */
#define VUC_RX_MAX_FDS 16
/* Read-ahead buffer per socket: a whole small message (and the start of the
 * next) in one recvmsg; a body of at least this much is read in place. */
#define VUC_RX_AHEAD 16384u
#define DEFAULT_MAX_HELD_BYTES ((size_t)8 << 20)
/* Bound on a server's max_data_xfer_size as we use it for framing. */
#define VUC_RX_XFER_CAP (64u * 1024u * 1024u)
/* Replies that are not data (VERSION JSON, region caps) stay below this. */
#define VUC_RX_META_MAX (64u * 1024u)
/* Internal submit flag: no COMPLETED event (blocking calls wait on state). */
#define VUC_SUBMIT_QUIET 0x100u

/* The socket transport behind an ops struct, so tests or another transport
 * can stand in. */
struct vuc_transport_ops {
    /* Sends all of iov with fds attached to the first byte. 0 or -errno. */
    int (*send)(int sock, const struct iovec *iov, int iovcnt, const int *fds, size_t nfds);
    /* One read into buf, non-blocking, or with wait blocking until data
     * comes or the socket's receive timeout runs out. Returns bytes read, 0
     * on EOF, -EAGAIN when nothing came (timeout or signal with wait), or
     * -errno; fds received are appended to fds (at most max_fds - *nfds;
     * the rest are closed). */
    long (*recv)(int sock, void *buf, size_t len, int *fds, unsigned *nfds, unsigned max_fds,
                 bool wait);
};
extern const struct vuc_transport_ops vuc_sock_transport;

/* Receive state of one socket: bytes read ahead, not yet framed, in
 * ra[ra_start, ra_end); the message in progress (header parsed once whole,
 * body filled from ra or, when large, read in place) and its fds. */
struct vuc_rx {
    uint8_t *ra; /* VUC_RX_AHEAD bytes, allocated at the first read */
    size_t ra_start, ra_end;
    bool have_hdr;
    struct vu_hdr hdr;
    uint8_t *body;
    size_t body_len, body_have;
    int fds[VUC_RX_MAX_FDS];
    unsigned nfds;
    bool closed; /* EOF or framing error read: do not poll it again */
    /* Held arrivals' bytes (vuc_options.max_held_bytes). parked: framing
     * stopped at that bound with bytes left in ra; park_fds came with the
     * last read (they belong to the message holding ra's last byte). */
    size_t held;
    bool parked;
    int park_fds[VUC_RX_MAX_FDS];
    unsigned park_nfds;
};

enum vuc_req_state { REQ_DEFERRED, REQ_SENT, REQ_ARRIVED, REQ_DONE };

struct vuc_req;
/* Runs when a reply is delivered, before the request counts as done. */
typedef void (*vuc_complete_hook)(struct vuc_ctx *ctx, struct vuc_req *r);

struct vuc_req {
    vuc_id id;
    uint16_t msg_id, cmd;
    enum vuc_req_state state;
    bool quiet, abandoned;
    uint8_t *msg; /* whole request message as sent */
    size_t msg_len, payload_len;
    int *fds; /* dup'ed, closed once sent */
    size_t nfds;
    vuc_complete_hook hook;
    /* Result, once delivered. */
    int status;
    struct vuc_reply_msg reply;
    uint8_t *rx; /* reply payload buffer */
    size_t rx_len;
    int fd; /* allowed fd the reply carried, or -1 */
    struct vuc_req *next;
};

struct vuc_arrival {
    uint64_t seq;
    enum vuc_arrival_kind kind;
    enum vuc_sock sock;
    struct vu_hdr hdr;
    uint8_t *body;
    size_t body_len;
    int fds[VUC_RX_MAX_FDS];
    unsigned nfds;
    int status;
    vuc_id req_id;
    struct vuc_reply_msg reply;
    struct vuc_server_cmd scmd;
    size_t held; /* what it counts in its socket's rx.held */
    struct vuc_arrival *next;
};

struct vuc_dma_pending {
    struct vuc_dma_op op; /* first: the handle the user sees */
    enum vuc_sock sock;
    bool no_reply;
    /* Its map socket closed: the reply cannot go out, and the slot may
     * belong to another map by the time the handler completes. */
    bool sock_gone;
    uint8_t *reply;    /* DMA_READ for a handler: the data it fills */
    size_t fields;     /* size of the addr/count fields in the reply */
    uint8_t *cmd_body; /* DMA_WRITE: the received payload (op.data points in) */
    struct vuc_dma_pending *next;
};

struct vuc_ctx {
    struct vuc_options opts;
    const struct vuc_transport_ops *ops;
    int sock[VUC_NSOCKS]; /* enum vuc_sock; -1: not open */
    struct vuc_rx rx[VUC_NSOCKS];
    /* SO_RCVTIMEO set on the main socket (-1: none, wait forever), valid
     * when main_rcvtimeo_set: a wait that long may block in recvmsg. */
    int main_rcvtimeo_ms;
    bool main_rcvtimeo_set;
    bool negotiated, twin_offered;
    struct vuc_server_caps caps;
    vuc_id next_id;
    struct vuc_req *reqs;
    struct vuc_arrival *arrivals, **arrivals_tail;
    uint64_t next_seq;
    bool hold;
    /* A blocking call in hold mode lifts hold while it waits; a reply dropped
     * then is still reported (VUC_EV_PROTOCOL), or nobody would know. */
    bool hold_lifted;
    struct vuc_event *events;
    size_t ev_head, ev_count, ev_cap;
    struct vuc_map *maps;
    size_t nmaps, maps_cap;
    vuc_dma_fn dma_fn;
    void *dma_opaque;
    vuc_dma_refused_fn dma_refused_fn;
    void *dma_refused_opaque;
    struct vuc_dma_pending *dma_pending;
    vuc_trace_fn trace_fn;
    void *trace_opaque;
    struct vuc_stats stats;
    char problem[160]; /* vuc_protocol_problem(); empty: none yet */
    /* The migration state the device must be in: the last one a SET reached
     * or, before any SET, the first one a GET reported (mig_known). */
    bool mig_known;
    uint32_t mig_state;
};

/* client_ctx.c */
void vuc_rx_free(struct vuc_ctx *ctx, struct vuc_rx *rx);
void vuc_close_fds(struct vuc_ctx *ctx, int *fds, unsigned n);
int vuc_send_msg(struct vuc_ctx *ctx, enum vuc_sock s, const struct iovec *iov, int iovcnt,
                 const int *fds, size_t nfds);
uint32_t vuc_rx_limit(const struct vuc_ctx *ctx);
void vuc_set_send_timeout(const struct vuc_ctx *ctx, int fd);

/* Records the first protocol violation, printf-style. */
void vuc_note_problem(struct vuc_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* client_requests.c */
struct vuc_req *vuc_req_find(struct vuc_ctx *ctx, vuc_id id);
void vuc_req_free(struct vuc_ctx *ctx, struct vuc_req *r);
int vuc_submit_hooked(struct vuc_ctx *ctx, const struct vuc_request *req, unsigned flags,
                      vuc_complete_hook hook, vuc_id *id);
int vuc_push_event(struct vuc_ctx *ctx, const struct vuc_event *ev);
void vuc_fail_all(struct vuc_ctx *ctx, int status);
/* Delivery of a reply: completes its request (hook, result, event). */
void vuc_req_complete(struct vuc_ctx *ctx, struct vuc_arrival *a);

/* client_arrivals.c */
/* Reads until at least max_msgs whole messages came or nothing more is
 * ready, and frames every whole message already read (so none is left
 * buffered where poll cannot see it). wait: the first read may block for
 * the socket's receive timeout. Returns the arrivals queued or -errno. */
int vuc_read_socket(struct vuc_ctx *ctx, enum vuc_sock s, int max_msgs, bool wait);
int vuc_deliver_arrival(struct vuc_ctx *ctx, struct vuc_arrival *a);
void vuc_arrival_free(struct vuc_ctx *ctx, struct vuc_arrival *a);

/* client_dma.c */
void vuc_serve_dma(struct vuc_ctx *ctx, struct vuc_arrival *a);
int vuc_send_error_reply(struct vuc_ctx *ctx, enum vuc_sock s, const struct vu_hdr *cmd, int err);
int vuc_maps_add(struct vuc_ctx *ctx, const struct vuc_map *m);
void vuc_maps_remove(struct vuc_ctx *ctx, uint64_t iova, uint64_t size);
void vuc_dma_pending_free_all(struct vuc_ctx *ctx);
/* 0, or -EPROTO (problem noted) when DMA command c came on the wrong socket:
 * a socket-mode window's DMA on any other socket, or on a map socket
 * outside its window; -EFAULT on a map socket whose window is gone. */
int vuc_dma_check_sock(struct vuc_ctx *ctx, enum vuc_sock s, uint16_t msg_id,
                       const struct vuc_server_cmd *c);
/* Closes map socket s (once) and frees its receive state; held arrivals
 * keep their count in rx[s].held. Its pending DMA can no longer reply. */
void vuc_close_map_socket(struct vuc_ctx *ctx, enum vuc_sock s);

/* unix_peer.c: the inode of the socket at the other end of Unix socket fd
 * (sock_diag); -errno when the kernel will not say. */
int vuc_unix_peer_ino(int fd, uint64_t *peer_ino);

/* client_negotiate.c */
void vuc_version_hook(struct vuc_ctx *ctx, struct vuc_req *r);

/* client_blocking.c: submit quietly, wait, return the status (request kept
 * for the caller to read and release when *id is given, else released). */
int vuc_call(struct vuc_ctx *ctx, const struct vuc_request *req, vuc_complete_hook hook,
             vuc_id *keep);

/* One DEVICE_FEATURE with `data_len` bytes of data (at most
 * VUC_FEATURE_DATA_MAX) and room for `reply_len` bytes of reply data (argsz
 * covers the larger). With id, the reply stays held for the caller to read
 * and release (client_migration.c). */
#define VUC_FEATURE_DATA_MAX 512u
int vuc_feature_call(struct vuc_ctx *ctx, uint32_t flags, const void *data, size_t data_len,
                     size_t reply_len, vuc_id *id);
/* Submits quietly and waits, like vuc_call, but a reply that came and did
 * not decode (-EPROTO) stays held too (*held), so the caller can say what
 * was wrong with it from its raw bytes; the caller releases a held id. */
int vuc_call_keep_raw(struct vuc_ctx *ctx, const struct vuc_request *req, vuc_id *id, bool *held);

#endif /* VFIO_USER_CLIENT_INTERNAL_H */
