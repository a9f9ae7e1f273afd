/*
 * Reading whole messages off a socket and turning each into an arrival:
 * a reply matched to its request, a server command validated, or a
 * disconnect. Delivery (acting on an arrival) is the second half, so a
 * scheduler can hold arrivals between the two.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client_internal.h"

void vuc_arrival_free(struct vuc_ctx *ctx, struct vuc_arrival *a) {
    vuc_close_fds(ctx, a->fds, a->nfds);
    free(a->body);
    free(a);
}

static void arrival_report(struct vuc_ctx *ctx, const struct vuc_arrival *a) {
    if (!ctx->hold)
        return;
    struct vuc_event ev = {.kind = VUC_EV_ARRIVED,
                           .id = a->req_id,
                           .seq = a->seq,
                           .status = a->status,
                           .arrival = a->kind,
                           .sock = a->sock,
                           .cmd = a->hdr.cmd,
                           .msg_id = a->hdr.msg_id,
                           .addr = a->scmd.addr,
                           .count = a->scmd.count,
                           .error_reply =
                               a->kind == VUC_ARR_REPLY && (a->hdr.flags & VU_F_ERROR) != 0,
                           .error_no = a->hdr.error_no};
    vuc_push_event(ctx, &ev);
}

static void arrival_queue(struct vuc_ctx *ctx, struct vuc_arrival *a) {
    a->seq = ctx->next_seq++;
    a->held = sizeof(*a) + VUC_HDR_SIZE + a->body_len;
    ctx->rx[a->sock].held += a->held;
    *ctx->arrivals_tail = a;
    ctx->arrivals_tail = &a->next;
    arrival_report(ctx, a);
}

/* A message that is dropped instead of becoming an arrival. */
static void drop(struct vuc_ctx *ctx, struct vuc_arrival *a, int why) {
    ctx->stats.dropped_replies++;
    vuc_note_problem(ctx,
                     "reply nobody asked for on the %s socket (command %u, msg_id %u; a "
                     "duplicate reply?)",
                     vuc_sock_name(a->sock), a->hdr.cmd, a->hdr.msg_id);
    ctx->stats.closed_fds += a->nfds;
    if (ctx->hold || ctx->hold_lifted) {
        struct vuc_event ev = {.kind = VUC_EV_PROTOCOL,
                               .status = why,
                               .sock = a->sock,
                               .cmd = a->hdr.cmd,
                               .msg_id = a->hdr.msg_id};
        vuc_push_event(ctx, &ev);
    }
    vuc_arrival_free(ctx, a);
}

/* Keeps the first `allowed` fds, closes the rest. */
static void trim_fds(struct vuc_ctx *ctx, struct vuc_arrival *a, unsigned allowed) {
    if (a->nfds <= allowed)
        return;
    ctx->stats.closed_fds += a->nfds - allowed;
    vuc_close_fds(ctx, a->fds + allowed, a->nfds - allowed);
    a->nfds = allowed;
}

static struct vuc_req *find_sent(struct vuc_ctx *ctx, uint16_t msg_id) {
    for (struct vuc_req *r = ctx->reqs; r; r = r->next)
        if (r->msg_id == msg_id && r->state == REQ_SENT)
            return r;
    return NULL;
}

static void classify_reply(struct vuc_ctx *ctx, struct vuc_arrival *a) {
    /* The twin and map sockets carry only server commands and our replies. */
    struct vuc_req *r = a->sock == VUC_SOCK_MAIN ? find_sent(ctx, a->hdr.msg_id) : NULL;
    if (!r) {
        drop(ctx, a, -EPROTO);
        return;
    }
    a->kind = VUC_ARR_REPLY;
    a->req_id = r->id;
    a->status = vuc_parse_reply(&a->hdr, a->body, a->body_len, r->cmd, r->msg + VUC_HDR_SIZE,
                                r->payload_len, &a->reply);
    if ((a->hdr.flags & VU_F_ERROR) && a->status == -EPROTO && a->hdr.cmd == r->cmd)
        vuc_note_problem(ctx, "error reply to command %u (msg_id %u) with an invalid errno %u",
                         r->cmd, r->msg_id, a->hdr.error_no);
    trim_fds(ctx, a,
             a->status == 0 ? vuc_reply_fds_allowed(r->cmd, &a->reply, ctx->twin_offered) : 0);
    r->state = REQ_ARRIVED;
    arrival_queue(ctx, a);
}

static void classify_command(struct vuc_ctx *ctx, struct vuc_arrival *a) {
    trim_fds(ctx, a, 0);
    int rc =
        vuc_parse_server_cmd(&a->hdr, a->body, a->body_len, ctx->opts.max_data_xfer_size, &a->scmd);
    if (rc < 0) {
        a->kind = VUC_ARR_BAD_CMD;
        a->status = rc;
        arrival_queue(ctx, a);
        return;
    }
    rc = vuc_dma_check_sock(ctx, a->sock, a->hdr.msg_id, &a->scmd);
    if (rc == -EPROTO) {
        a->kind = VUC_ARR_BAD_CMD;
        a->status = rc;
        arrival_queue(ctx, a);
        return;
    }
    /* The mapping is checked again at delivery: maps may change meanwhile.
     * Here it only tells a scheduler what the answer would be now. */
    uint32_t need = a->scmd.cmd == VU_CMD_DMA_READ ? VU_DMA_MAP_F_READ : VU_DMA_MAP_F_WRITE;
    int idx = vuc_map_lookup(ctx->maps, ctx->nmaps, a->scmd.addr, a->scmd.count, need);
    a->kind = VUC_ARR_DMA;
    a->status = rc < 0 ? rc : idx < 0 ? idx : 0;
    arrival_queue(ctx, a);
}

static void queue_disconnect(struct vuc_ctx *ctx, enum vuc_sock s, int status) {
    struct vuc_rx *rx = &ctx->rx[s];
    rx->closed = true;
    struct vuc_arrival *a = calloc(1, sizeof(*a));
    if (!a && s >= VUC_SOCK_MAP0) {
        vuc_close_map_socket(ctx, s); /* what delivering it would do */
        return;
    }
    if (!a) {
        vuc_fail_all(ctx, status);
        return;
    }
    a->kind = VUC_ARR_DISCONNECT;
    a->sock = s;
    a->status = status;
    arrival_queue(ctx, a);
}

/* The message in progress is whole: hand it over as an arrival. */
static int finish_message(struct vuc_ctx *ctx, enum vuc_sock s) {
    struct vuc_rx *rx = &ctx->rx[s];
    struct vuc_arrival *a = calloc(1, sizeof(*a));
    if (!a)
        return -ENOMEM;
    a->sock = s;
    a->hdr = rx->hdr;
    a->body = rx->body;
    a->body_len = rx->body_len;
    memcpy(a->fds, rx->fds, sizeof(a->fds));
    a->nfds = rx->nfds;
    rx->have_hdr = false;
    rx->body = NULL;
    rx->body_len = rx->body_have = 0;
    rx->nfds = 0;
    ctx->stats.msgs_read++;
    if (ctx->trace_fn)
        ctx->trace_fn(ctx->trace_opaque, s, false, &a->hdr, a->body, a->body_len, a->nfds);
    if (vuc_hdr_is_reply(&a->hdr))
        classify_reply(ctx, a);
    else
        classify_command(ctx, a);
    return 1;
}

/* Gives fds to the message in progress; beyond VUC_RX_MAX_FDS they are
 * closed (as the kernel would have). */
static void give_fds(struct vuc_ctx *ctx, struct vuc_rx *rx, int *fds, unsigned *nfds) {
    unsigned room = VUC_RX_MAX_FDS - rx->nfds;
    unsigned n = *nfds < room ? *nfds : room;
    memcpy(rx->fds + rx->nfds, fds, sizeof(int) * n);
    rx->nfds += n;
    vuc_close_fds(ctx, fds + n, *nfds - n);
    *nfds = 0;
}

/* Parses the header at ra_start; 0, or -EPROTO when the stream cannot be
 * framed (disconnect queued), or -ENOMEM. */
static int frame_header(struct vuc_ctx *ctx, enum vuc_sock s) {
    struct vuc_rx *rx = &ctx->rx[s];
    if (vuc_parse_hdr(rx->ra + rx->ra_start, VUC_HDR_SIZE, vuc_rx_limit(ctx), &rx->hdr) < 0) {
        /* Without a trustworthy size the stream cannot be framed again. */
        queue_disconnect(ctx, s, -EPROTO);
        return -EPROTO;
    }
    size_t len = rx->hdr.msg_size - VUC_HDR_SIZE;
    rx->body = malloc(len ? len : 1);
    if (!rx->body)
        return -ENOMEM; /* the header stays buffered for another try */
    rx->ra_start += VUC_HDR_SIZE;
    rx->have_hdr = true;
    rx->body_len = len;
    rx->body_have = 0;
    return 0;
}

bool vuc_paused(const struct vuc_ctx *ctx, enum vuc_sock s) {
    return ctx->hold && ctx->rx[s].held >= ctx->opts.max_held_bytes;
}

/* Framing stops at the held bound: the rest stays in ra, the last read's
 * fds with it, until deliveries make room (vuc_read_socket frames it then). */
static void park(struct vuc_rx *rx, const int *fds, unsigned nfds) {
    memcpy(rx->park_fds, fds, sizeof(int) * nfds);
    rx->park_nfds = nfds;
    rx->parked = true;
}

/* Frames every whole message in the read-ahead buffer. fds are those of the
 * last read: the kernel ends a read after the skb that carried fds, so
 * they belong to the message that holds the last byte read. Returns the
 * arrivals queued (a disconnect counts) or -ENOMEM. */
static int frame_buffered(struct vuc_ctx *ctx, enum vuc_sock s, int *fds, unsigned nfds) {
    struct vuc_rx *rx = &ctx->rx[s];
    int count = 0;
    for (;;) {
        size_t avail = rx->ra_end - rx->ra_start;
        if (!rx->have_hdr) {
            if (avail < VUC_HDR_SIZE)
                break;
            if (vuc_paused(ctx, s)) {
                park(rx, fds, nfds);
                return count;
            }
            int rc = frame_header(ctx, s);
            if (rc < 0) {
                vuc_close_fds(ctx, fds, nfds);
                return rc == -EPROTO ? count + 1 : rc;
            }
            continue;
        }
        size_t need = rx->body_len - rx->body_have;
        size_t take = avail < need ? avail : need;
        memcpy(rx->body + rx->body_have, rx->ra + rx->ra_start, take);
        rx->body_have += take;
        rx->ra_start += take;
        if (rx->body_have < rx->body_len)
            break;
        if (rx->ra_start == rx->ra_end)
            give_fds(ctx, rx, fds, &nfds);
        int rc = finish_message(ctx, s);
        if (rc < 0) {
            vuc_close_fds(ctx, fds, nfds);
            return rc;
        }
        count++;
    }
    give_fds(ctx, rx, fds, &nfds); /* the message in progress holds the last byte */
    if (rx->ra_start == rx->ra_end)
        rx->ra_start = rx->ra_end = 0;
    return count;
}

/* Reads into the read-ahead buffer after what is kept of a header and
 * frames what came. Returns arrivals queued, or the read's 0 / -errno. */
static long read_ahead(struct vuc_ctx *ctx, enum vuc_sock s, bool wait) {
    struct vuc_rx *rx = &ctx->rx[s];
    if (!rx->ra && !(rx->ra = malloc(VUC_RX_AHEAD)))
        return -ENOMEM;
    size_t kept = rx->ra_end - rx->ra_start;
    memmove(rx->ra, rx->ra + rx->ra_start, kept);
    rx->ra_start = 0;
    rx->ra_end = kept;
    int fds[VUC_RX_MAX_FDS];
    unsigned nfds = 0;
    long n = ctx->ops->recv(ctx->sock[s], rx->ra + kept, VUC_RX_AHEAD - kept, fds, &nfds,
                            VUC_RX_MAX_FDS, wait);
    if (n <= 0)
        return n;
    rx->ra_end += (size_t)n;
    int rc = frame_buffered(ctx, s, fds, nfds);
    return rc == 0 ? INT_MAX : rc; /* bytes came: not EOF */
}

/* A large body is read in place (the read-ahead buffer is empty then:
 * framing moved all of it into the body). Returns as read_ahead. */
static long read_in_place(struct vuc_ctx *ctx, enum vuc_sock s, bool wait) {
    struct vuc_rx *rx = &ctx->rx[s];
    long n = ctx->ops->recv(ctx->sock[s], rx->body + rx->body_have, rx->body_len - rx->body_have,
                            rx->fds, &rx->nfds, VUC_RX_MAX_FDS, wait);
    if (n <= 0)
        return n;
    rx->body_have += (size_t)n;
    return rx->body_have == rx->body_len ? finish_message(ctx, s) : INT_MAX;
}

/* Frames what was parked at the held bound, now that there is room. */
static int unpark(struct vuc_ctx *ctx, enum vuc_sock s) {
    struct vuc_rx *rx = &ctx->rx[s];
    int fds[VUC_RX_MAX_FDS];
    unsigned nfds = rx->park_nfds;
    memcpy(fds, rx->park_fds, sizeof(int) * nfds);
    rx->parked = false;
    rx->park_nfds = 0;
    int rc = frame_buffered(ctx, s, fds, nfds);
    if (rx->ra_start == rx->ra_end)
        rx->ra_start = rx->ra_end = 0;
    return rc;
}

/* One read. Returns the arrivals queued (a disconnect counts), -EAGAIN
 * when nothing came (or the socket is paused), or -errno to stop. */
static int read_once(struct vuc_ctx *ctx, enum vuc_sock s, bool wait) {
    struct vuc_rx *rx = &ctx->rx[s];
    if (vuc_paused(ctx, s))
        return -EAGAIN;
    if (rx->parked) {
        int rc = unpark(ctx, s);
        if (rc != 0 || rx->parked)
            return rc == 0 ? -EAGAIN : rc;
    }
    bool large = rx->have_hdr && rx->body_len - rx->body_have >= VUC_RX_AHEAD;
    long n = large ? read_in_place(ctx, s, wait) : read_ahead(ctx, s, wait);
    if (n == INT_MAX)
        return 0; /* progress, no whole message yet */
    if (n > 0 || n == -EAGAIN || n == -ENOMEM)
        return (int)n;
    queue_disconnect(ctx, s, -ECONNRESET); /* EOF or a read error */
    return 1;
}

int vuc_read_socket(struct vuc_ctx *ctx, enum vuc_sock s, int max_msgs, bool wait) {
    int count = 0;
    for (bool first = true; count < max_msgs && ctx->sock[s] >= 0 && !ctx->rx[s].closed;
         first = false) {
        int rc = read_once(ctx, s, wait && first);
        if (rc == -EAGAIN)
            break;
        if (rc < 0)
            return rc;
        count += rc;
    }
    return count;
}

/* ---- Delivery ------------------------------------------------------------ */

/* Every socket stops; their fds stay open until vuc_destroy (or the unmap
 * of a map socket's window). */
static void close_connection(struct vuc_ctx *ctx) {
    for (int s = 0; s < VUC_NSOCKS; s++)
        vuc_rx_free(ctx, &ctx->rx[s]);
}

static int deliver_reply(struct vuc_ctx *ctx, struct vuc_arrival *a) {
    vuc_req_complete(ctx, a);
    return 0;
}

static int deliver_dma(struct vuc_ctx *ctx, struct vuc_arrival *a) {
    vuc_serve_dma(ctx, a);
    return 0;
}

static int deliver_bad_cmd(struct vuc_ctx *ctx, struct vuc_arrival *a) {
    ctx->stats.bad_commands++;
    if (a->hdr.flags & VU_F_NO_REPLY)
        return 0;
    /* A failed send means the peer is gone; its EOF arrives on its own. */
    (void)vuc_send_error_reply(ctx, a->sock, &a->hdr, a->status);
    return 0;
}

static int deliver_disconnect(struct vuc_ctx *ctx, struct vuc_arrival *a) {
    if (a->sock >= VUC_SOCK_MAP0) {
        /* Only that window's DMA path is gone; requests never use it. */
        vuc_close_map_socket(ctx, a->sock);
        return 0;
    }
    close_connection(ctx);
    vuc_fail_all(ctx, a->status);
    return 0;
}

typedef int (*deliverer)(struct vuc_ctx *ctx, struct vuc_arrival *a);

static const deliverer deliverers[] = {
    [VUC_ARR_REPLY] = deliver_reply,
    [VUC_ARR_DMA] = deliver_dma,
    [VUC_ARR_BAD_CMD] = deliver_bad_cmd,
    [VUC_ARR_DISCONNECT] = deliver_disconnect,
};

int vuc_deliver_arrival(struct vuc_ctx *ctx, struct vuc_arrival *a) {
    return deliverers[a->kind](ctx, a);
}
