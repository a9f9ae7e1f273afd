/*
 * vfio-user client library: public API.
 *
 * One struct vuc_ctx per connection to a vfio-user server. Every function
 * returns 0 (or a count) on success and a negative errno on failure; nothing
 * prints, nothing exits, and there is no global state.
 *
 * Two ways to use it:
 *
 *  - Blocking calls (vuc_negotiate, vuc_region_read, ...): each sends its
 *    request(s) and waits for the reply, serving server-to-client DMA
 *    commands (twin socket, or main socket for servers without it) while it
 *    waits. Waits are bounded by vuc_options.timeout_ms.
 *
 *  - A non-blocking core that the blocking calls are built on: submit a
 *    request and get an id (optionally held back until vuc_send()), poll the
 *    fds from vuc_poll_fds(), call vuc_step() to read what is ready, and take
 *    events with vuc_next_event(). With vuc_set_hold(ctx, true) every
 *    arrival (reply, DMA command, disconnect) is queued and reported as
 *    VUC_EV_ARRIVED; nothing is acted upon until the caller delivers it with
 *    vuc_deliver(), in any order it chooses. Without hold, arrivals are
 *    delivered as soon as they are read.
 *
 * Server-to-client DMA goes to a handler registered with
 * vuc_set_dma_handler(); the handler may finish at once or later
 * (vuc_dma_complete), and the reply is sent only then. Without a handler the
 * library serves DMA from the memory given to vuc_dma_map() (vaddr).
 *
 * The wire format is vfio_user/proto.h; the pure parsers the core uses are in
 * vfio_user/client_parse.h.
 */
#ifndef VFIO_USER_CLIENT_H
#define VFIO_USER_CLIENT_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfio_user/proto.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vuc_ctx;

/* ---- Creation, connection, negotiation --------------------------------- */

struct vuc_options {
    /* Do not offer the twin socket in VERSION (exercises a server's old path:
     * DMA commands then arrive on the main socket). */
    bool no_twin;
    /* Offered in VERSION. max_msg_fds: 0 means 8. max_data_xfer_size: the
     * largest DMA_READ/DMA_WRITE we accept from the server; 0 means 1 MiB. */
    uint32_t max_msg_fds;
    uint32_t max_data_xfer_size;
    /* Bound on every blocking wait in milliseconds; 0 means 5000, negative
     * means wait forever. A timed-out call returns -ETIMEDOUT and its late
     * reply, if it ever comes, is discarded. */
    int timeout_ms;
    /* In hold mode, the most bytes of held (read, not yet delivered)
     * arrivals per socket, each counted as its message plus the client's
     * bookkeeping; 0 means 8 MiB. Past it the socket is not read (and its
     * fd is polled for nothing) until deliveries bring it back under: the
     * server's sends block, as against any client that stops reading.
     * Messages are framed in order up to the bound, so which arrivals are
     * held does not depend on how the kernel split the stream. */
    size_t max_held_bytes;
};

/* Fills *o with the defaults above (all zero, i.e. twin offered). */
void vuc_options_init(struct vuc_options *o);

/* opts may be NULL for the defaults. Returns NULL only when out of memory. */
struct vuc_ctx *vuc_create(const struct vuc_options *opts);
/* Closes every socket and fd the context owns and fails nothing further. */
void vuc_destroy(struct vuc_ctx *ctx);

/* Connects to a UNIX socket path. -EISCONN if already connected. */
int vuc_connect(struct vuc_ctx *ctx, const char *socket_path);
/* Adopts an already connected stream socket (e.g. one end of a socketpair);
 * the context owns and closes it. */
int vuc_attach_fd(struct vuc_ctx *ctx, int fd);

/* VERSION negotiation (blocking). Records what the server answered and takes
 * the twin socket when the server hands one over. */
int vuc_negotiate(struct vuc_ctx *ctx);

/* What the server answered in VERSION (defaults for what it left out). */
struct vuc_server_caps {
    uint16_t major, minor;
    uint32_t max_msg_fds;
    uint64_t max_data_xfer_size;
    uint64_t max_dma_maps; /* 0: not stated */
    uint64_t pgsizes;      /* 0: not stated */
    uint64_t migration_pgsize;
    bool write_multiple;
    bool twin_socket; /* server agreed and the twin fd was received */
};
/* NULL before a successful negotiation. */
const struct vuc_server_caps *vuc_get_server_caps(const struct vuc_ctx *ctx);
bool vuc_has_twin(const struct vuc_ctx *ctx);
bool vuc_connected(const struct vuc_ctx *ctx);

/* ---- Blocking calls ------------------------------------------------------ */

int vuc_device_get_info(struct vuc_ctx *ctx, struct vu_device_info *out);

#define VUC_MAX_SPARSE_AREAS 32u

/* A region's info, its capability chain decoded. */
struct vuc_region {
    struct vu_region_info info;
    uint32_t nr_areas; /* sparse mmap areas the server listed */
    uint32_t nr_areas_stored;
    struct vu_sparse_mmap_area areas[VUC_MAX_SPARSE_AREAS];
    bool has_type;
    uint32_t type, subtype;
    int fd; /* mmap fd the reply carried, or -1; the caller owns it */
};

/* Re-queries with a larger argsz when the server says its answer needs it. */
int vuc_region_info(struct vuc_ctx *ctx, uint32_t index, struct vuc_region *out);

int vuc_irq_info(struct vuc_ctx *ctx, uint32_t index, struct vu_irq_info *out);

/* Assigns count eventfds (all >= 0, else -EBADF) to IRQs start..start+count-1,
 * sent in batches of at most the server's max_msg_fds. The fds stay the
 * caller's. To disable all, use vuc_set_irqs(DATA_NONE|ACTION_TRIGGER, 0). */
int vuc_set_irqs_eventfd(struct vuc_ctx *ctx, uint32_t index, uint32_t start, uint32_t count,
                         const int *fds);
/* DEVICE_SET_IRQS with DATA_NONE or DATA_BOOL (bools has count bytes) and an
 * action; e.g. VU_IRQ_SET_DATA_NONE | VU_IRQ_SET_ACTION_UNMASK. */
int vuc_set_irqs(struct vuc_ctx *ctx, uint32_t index, uint32_t start, uint32_t count,
                 uint32_t flags, const uint8_t *bools);
/* INTx unmask: DATA_NONE | ACTION_UNMASK on index 0, IRQ 0. */
int vuc_intx_unmask(struct vuc_ctx *ctx);

/* Split into messages of at most the server's max_data_xfer_size. */
int vuc_region_read(struct vuc_ctx *ctx, uint32_t region, uint64_t offset, void *buf, size_t count);
int vuc_region_write(struct vuc_ctx *ctx, uint32_t region, uint64_t offset, const void *buf,
                     size_t count);

/* Maps [iova, iova+size) for the device. prot: VU_DMA_MAP_F_READ/WRITE.
 * fd < 0: message-based DMA (the default), the server reaches the memory with
 * DMA_READ/DMA_WRITE. fd >= 0 (e.g. a memfd): sent with the map so the server
 * can mmap it at fd_offset (the fd stays the caller's). vaddr, when not NULL,
 * is where the library serves DMA from when no handler is registered; it must
 * stay valid until the unmap. */
int vuc_dma_map(struct vuc_ctx *ctx, uint64_t iova, uint64_t size, uint32_t prot, void *vaddr,
                int fd, uint64_t fd_offset);
int vuc_dma_unmap(struct vuc_ctx *ctx, uint64_t iova, uint64_t size);
/* The map table alone, for a caller that sends DMA_MAP / DMA_UNMAP itself with
 * vuc_submit() (so the messages take its own scheduling): add the entry before
 * the DMA_MAP goes out, remove it once the server accepted the DMA_UNMAP, as
 * vuc_dma_map() and vuc_dma_unmap() do. A server DMA command outside every
 * entry is refused (vuc_set_dma_refused_handler). add: -EINVAL for an empty or
 * wrapping range or unknown prot bits; remove: -ENOENT when no entry matches
 * [iova, iova+size) exactly. */
int vuc_dma_table_add(struct vuc_ctx *ctx, uint64_t iova, uint64_t size, uint32_t prot,
                      void *vaddr);
int vuc_dma_table_remove(struct vuc_ctx *ctx, uint64_t iova, uint64_t size);

/* A DMA socket per mapping (VU_DMA_MAP_F_RCSIM_SOCKET, proto.h): the window
 * is reached by DMA_READ/DMA_WRITE messages on a socket of its own, served
 * like the twin socket. Returns the socket (VUC_SOCK_MAP0 and up) or -errno:
 * -ENOSPC when VUC_MAX_MAP_SOCKETS are in use, the server's errno when it
 * refuses the flag (nothing is left behind: socket closed, entry gone). A
 * server DMA command for this window on any other socket, or on this socket
 * for an address outside the window, is answered with an EPROTO error reply
 * and named by vuc_protocol_problem(). vuc_dma_unmap() closes the socket once
 * the server accepted the unmap. */
int vuc_dma_map_socket(struct vuc_ctx *ctx, uint64_t iova, uint64_t size, uint32_t prot,
                       void *vaddr);
/* The table half of it, for a caller that sends DMA_MAP itself: adds the
 * entry and its socket (read and polled from now on) and gives the other end
 * in *peer_fd, to send as the DMA_MAP's one fd with VU_DMA_MAP_F_RCSIM_SOCKET
 * and then close. Returns the socket or -errno. vuc_dma_table_remove() closes
 * the socket of the entry it removes. */
int vuc_dma_table_add_socket(struct vuc_ctx *ctx, uint64_t iova, uint64_t size, uint32_t prot,
                             void *vaddr, int *peer_fd);

int vuc_device_reset(struct vuc_ctx *ctx);

/* ---- Migration v2 and dirty page logging (client_migration.c,
 * client_dirty_log.c) ------------------------------------------------------ */

/* DEVICE_FEATURE PROBE of `feature` for ops (VU_DEVICE_FEATURE_GET and/or
 * _SET): 0 when the server has it, its errno (negative) when not. */
int vuc_feature_probe(struct vuc_ctx *ctx, uint32_t feature, uint32_t ops);
/* GET MIGRATION: VU_MIGRATION_* flags. */
int vuc_mig_get_flags(struct vuc_ctx *ctx, uint64_t *flags);
/* GET MIG_DEVICE_STATE: enum vu_mig_state. -EPROTO for a state VFIO lacks,
 * and for one other than the last state a SET reached (ERROR excepted: a
 * device falls into it on its own); vuc_protocol_problem() names both. */
int vuc_mig_get_state(struct vuc_ctx *ctx, uint32_t *state);
/* Whether from -> to is a direct arc of VFIO's state machine for a device
 * offering mig_flags (STOP_COPY is required; P2P and PRE_COPY add states). */
bool vuc_mig_arc_allowed(uint32_t from, uint32_t to, uint64_t mig_flags);
const char *vuc_mig_state_name(uint32_t state);
/* Whether a SET from -> to is allowed: `to` reached by direct arcs through
 * STOP, RUNNING and RUNNING_P2P only, STOP_COPY -> PRE_COPY(_P2P) blocked
 * (linux/vfio.h's combination transitions). */
bool vuc_mig_state_reachable(uint32_t from, uint32_t to, uint64_t mig_flags);
/* SET MIG_DEVICE_STATE: -EINVAL (nothing sent) when `to` is not reachable
 * from `from`; -EPROTO when the reply names another state than `to` (with
 * the state it named in vuc_protocol_problem()). An unanswered SET (a
 * device that never finishes quiescing) ends in -ETIMEDOUT after
 * vuc_options.timeout_ms. */
int vuc_mig_set_state(struct vuc_ctx *ctx, uint32_t from, uint32_t to, uint64_t mig_flags);
/* MIG_DATA_READ of at most size bytes (1..max_data_xfer_size): *got bytes
 * read, 0 at the end of the data. */
int vuc_mig_data_read(struct vuc_ctx *ctx, void *buf, uint32_t size, uint32_t *got);
int vuc_mig_data_write(struct vuc_ctx *ctx, const void *buf, uint32_t size);
/* MIG_DATA_READs into buf until the device says the end of the data (a
 * read of 0 bytes), in chunks of at most max_data_xfer_size: *total bytes.
 * -EFBIG (problem noted) when the device has more than cap bytes, so a
 * device whose data never ends is stopped at the caller's bound. */
int vuc_mig_data_drain(struct vuc_ctx *ctx, void *buf, size_t cap, size_t *total);
/* DMA_LOGGING_START for ranges of fd-backed mappings, page_size a power of
 * two; STOP ends it (all ranges). REPORT fills bitmap (one bit per page of
 * [iova, iova+length), at least (pages+7)/8 bytes) and clears the device's
 * log for those pages. */
int vuc_dirty_start(struct vuc_ctx *ctx, uint64_t page_size,
                    const struct vu_dma_logging_range *ranges, uint32_t n);
int vuc_dirty_stop(struct vuc_ctx *ctx, uint64_t page_size);
int vuc_dirty_report(struct vuc_ctx *ctx, uint64_t iova, uint64_t length, uint64_t page_size,
                     uint8_t *bitmap, size_t bitmap_len);

/* ---- Server-to-client DMA ------------------------------------------------ */

/* The sockets of a connection: main, twin, and one per socket-mode mapping
 * (VUC_SOCK_MAP0 + slot, slot < VUC_MAX_MAP_SOCKETS; a slot is reused after
 * its unmap). */
#define VUC_MAX_MAP_SOCKETS 8
#define VUC_NSOCKS (2 + VUC_MAX_MAP_SOCKETS)
enum vuc_sock {
    VUC_SOCK_MAIN = 0,
    VUC_SOCK_TWIN = 1,
    VUC_SOCK_MAP0 = 2,
    /* Names the last slot so every socket is a value of the type: C++ (and
     * UBSan's enum check) limit an enum to the range of its enumerators. */
    VUC_SOCK_MAP_LAST = VUC_SOCK_MAP0 + VUC_MAX_MAP_SOCKETS - 1
};
/* "main", "twin", "map0".."map7"; "?" out of range. */
const char *vuc_sock_name(enum vuc_sock s);

/* One DMA_READ or DMA_WRITE from the server, already validated: it lies
 * inside one mapping with the right permission and within our
 * max_data_xfer_size. */
struct vuc_dma_op {
    uint16_t cmd; /* VU_CMD_DMA_READ or VU_CMD_DMA_WRITE */
    uint16_t msg_id;
    bool on_twin;       /* arrived on the twin socket */
    enum vuc_sock sock; /* the socket it arrived on (and is answered on) */
    bool qemu_layout;   /* peer used {u64 addr, u32 count}; the reply mirrors it */
    uint64_t addr;
    uint64_t count;
    /* DMA_READ: fill count bytes here. DMA_WRITE: the count bytes to store. */
    uint8_t *data;
    /* The mapping it falls in (vaddr NULL for maps given without one). */
    uint64_t map_iova;
    uint8_t *map_vaddr;
};

#define VUC_DMA_PENDING 1
/* Return 0 when done (the reply goes out now), a negative errno for an error
 * reply, or VUC_DMA_PENDING and call vuc_dma_complete() later (possibly from
 * inside the handler); op stays valid until then. */
typedef int (*vuc_dma_fn)(void *opaque, struct vuc_dma_op *op);

void vuc_set_dma_handler(struct vuc_ctx *ctx, vuc_dma_fn fn, void *opaque);

/* A DMA command refused before it reached the handler: no mapping covers
 * [addr, addr + count) with the permission it needs, the range wraps, or
 * there was no memory for it. The error reply has gone out already; on a
 * real machine this is an IOMMU fault, a device bug the caller may want to
 * count and report. */
struct vuc_dma_refusal {
    uint16_t cmd; /* VU_CMD_DMA_READ or VU_CMD_DMA_WRITE */
    uint16_t msg_id;
    bool on_twin;
    enum vuc_sock sock;
    uint64_t addr;
    uint64_t count;
    int err; /* negative errno of the error reply */
};
typedef void (*vuc_dma_refused_fn)(void *opaque, const struct vuc_dma_refusal *r);
void vuc_set_dma_refused_handler(struct vuc_ctx *ctx, vuc_dma_refused_fn fn, void *opaque);
/* Sends the reply of a pending op: err 0 or a negative errno. Frees op.
 * -ENOENT for an op that is not pending; -ENOTCONN (op freed) when the
 * connection is gone. */
int vuc_dma_complete(struct vuc_ctx *ctx, struct vuc_dma_op *op, int err);

/* ---- Non-blocking core ----------------------------------------------------- */

typedef uint64_t vuc_id;

/* A raw client-to-server command: header built by the library. */
struct vuc_request {
    uint16_t cmd;
    const void *payload; /* fixed part after the header */
    size_t payload_len;
    const void *data; /* appended after payload (e.g. REGION_WRITE bytes) */
    size_t data_len;
    const int *fds; /* SCM_RIGHTS; stay the caller's */
    size_t nfds;
};

/* Submit flags. */
#define VUC_SUBMIT_DEFER 0x1u /* queue it; it goes out at vuc_send() */

/* Queues a request; unless VUC_SUBMIT_DEFER it is sent before this returns.
 * *id identifies it in events; its msg_id on the wire is (uint16_t)*id. The
 * payload is copied. Completion is reported as VUC_EV_COMPLETED; the caller
 * then reads it with vuc_get_result() and frees it with vuc_release(). */
int vuc_submit(struct vuc_ctx *ctx, const struct vuc_request *req, unsigned flags, vuc_id *id);
/* One message each, not split: keep count within the server's
 * max_data_xfer_size (vuc_get_server_caps) unless testing the server. */
int vuc_submit_region_read(struct vuc_ctx *ctx, uint32_t region, uint64_t offset, uint32_t count,
                           unsigned flags, vuc_id *id);
int vuc_submit_region_write(struct vuc_ctx *ctx, uint32_t region, uint64_t offset, const void *buf,
                            uint32_t count, unsigned flags, vuc_id *id);
/* Sends a deferred request now. */
int vuc_send(struct vuc_ctx *ctx, vuc_id id);

/* The fds to poll for POLLIN (main, then twin and the map sockets when
 * present; VUC_NSOCKS at most). Returns how many were written (at most max). */
int vuc_poll_fds(const struct vuc_ctx *ctx, struct pollfd *fds, int max);

/* Reads every whole message that is ready (waiting up to timeout_ms for the
 * first; 0 does not wait). Returns the number of arrivals read, 0 on
 * timeout, or a negative errno. A disconnect is an arrival too. */
int vuc_step(struct vuc_ctx *ctx, int timeout_ms);

/* With hold on, arrivals wait for vuc_deliver(); off (the default) delivers
 * them as they are read. Turning hold off delivers whatever is held. */
void vuc_set_hold(struct vuc_ctx *ctx, bool hold);

enum vuc_arrival_kind {
    VUC_ARR_REPLY,      /* reply to request req_id */
    VUC_ARR_DMA,        /* DMA_READ/DMA_WRITE from the server */
    VUC_ARR_BAD_CMD,    /* server command we do not serve or that failed
                           validation: delivering it sends the error reply */
    VUC_ARR_DISCONNECT, /* a socket reached EOF or an error, or the stream
                           could not be framed; on a map socket only that
                           socket closes (its pending DMA fails), the
                           connection stays */
};

enum vuc_event_kind {
    VUC_EV_ARRIVED,   /* (hold mode) a message was read; deliver by seq */
    VUC_EV_COMPLETED, /* request id finished with status */
    VUC_EV_PROTOCOL,  /* (hold mode) a reply was dropped (unknown id, or on
                         the twin socket): status -EPROTO */
};

struct vuc_event {
    enum vuc_event_kind kind;
    vuc_id id;    /* COMPLETED: the request; ARRIVED with REPLY: the request */
    uint64_t seq; /* ARRIVED: arrival number for vuc_deliver() */
    int status;   /* COMPLETED: 0 or -errno; ARRIVED BAD_CMD: errno to send;
                     ARRIVED DMA: 0, or -EFAULT if no mapping holds it now
                     (checked again at delivery); ARRIVED REPLY: 0 or the
                     -EPROTO its validation gave;
                     ARRIVED DISCONNECT: -ECONNRESET (EOF) or -EPROTO (the
                     stream could not be framed, so it was closed) */
    enum vuc_arrival_kind arrival;
    enum vuc_sock sock;
    uint16_t cmd, msg_id;
    uint64_t addr, count; /* ARRIVED DMA: the request */
    bool error_reply;     /* ARRIVED REPLY: the server set the error flag */
    uint32_t error_no;    /* ARRIVED REPLY with error_reply: its errno as sent
                             (0 or > 4095 makes status -EPROTO) */
};

/* Takes the oldest event: returns 1 and fills *ev, or 0 when none. Events
 * are queued for requests from vuc_submit*() (not the blocking calls), and
 * ARRIVED events only in hold mode. */
int vuc_next_event(struct vuc_ctx *ctx, struct vuc_event *ev);

/* Delivers a held arrival (any order): a reply completes its request, a DMA
 * command goes to the DMA handler, a disconnect fails every outstanding
 * request with its status (-ECONNRESET or -EPROTO). -ENOENT if no such
 * arrival is held. */
int vuc_deliver(struct vuc_ctx *ctx, uint64_t seq);
/* Whether socket s is not being read because its held arrivals reached
 * max_held_bytes (hold mode only). */
bool vuc_paused(const struct vuc_ctx *ctx, enum vuc_sock s);

/* The decoded reply of a completed request. */
struct vuc_result {
    int status; /* 0 or -errno (the server's errno for an error reply) */
    uint16_t cmd;
    const uint8_t *payload; /* reply bytes after the header; valid until release */
    size_t payload_len;
    const uint8_t *data; /* REGION_READ: the bytes read */
    size_t data_len;
    int fd; /* fd the reply carried where the protocol allows one, else -1;
               owned by the request until vuc_release() unless taken */
};
/* -EBUSY while the request is outstanding, -ENOENT for an unknown id. */
int vuc_get_result(struct vuc_ctx *ctx, vuc_id id, struct vuc_result *out);
/* Hands the reply's fd to the caller (the request no longer closes it). */
int vuc_take_fd(struct vuc_ctx *ctx, vuc_id id);
/* Forgets a request. A deferred one is never sent; a sent one is abandoned:
 * its reply is dropped when it comes. */
void vuc_release(struct vuc_ctx *ctx, vuc_id id);

/* Waits (delivering arrivals in order, serving DMA; in hold mode too: it
 * delivers what is held) until request id has completed; returns its status,
 * -ETIMEDOUT after timeout_ms (< 0 forever). Sends nothing: a deferred
 * request must be sent first. */
int vuc_wait(struct vuc_ctx *ctx, vuc_id id, int timeout_ms);

/* ---- Tracing ------------------------------------------------------------ */

/* Called for every whole message, in wire order per socket: from_client for
 * what we send (when it is sent), else for what we read (when it is read, so
 * before validation and before delivery). payload is msg_size - 16 bytes;
 * nfds counts the SCM_RIGHTS fds it carried. */
typedef void (*vuc_trace_fn)(void *opaque, enum vuc_sock sock, bool from_client,
                             const struct vu_hdr *hdr, const uint8_t *payload, size_t payload_len,
                             unsigned nfds);
void vuc_set_trace(struct vuc_ctx *ctx, vuc_trace_fn fn, void *opaque);

/* ---- Counters ----------------------------------------------------------- */

struct vuc_stats {
    uint64_t dropped_replies; /* unknown id, or reply on the twin or a map socket */
    uint64_t closed_fds;      /* fds that came where none belong */
    uint64_t dma_served;      /* DMA commands answered with success */
    uint64_t dma_errors;      /* DMA commands answered with an error reply */
    uint64_t qemu_layout_dma; /* DMA commands in QEMU's 32-bit count layout */
    uint64_t bad_commands;    /* server commands answered with an error */
    /* Whole messages sent and read (framed), every socket, from the
     * connection on: what the idle announcement's counts are checked
     * against (vfio_user/idle_announce.h). */
    uint64_t msgs_sent, msgs_read;
};
void vuc_get_stats(const struct vuc_ctx *ctx, struct vuc_stats *out);

/* What the first protocol violation the client saw was, in words (a reply
 * nobody asked for, a twin socket that loops back to our main socket, ...),
 * or NULL when there was none: the errno of a failed call says less. */
const char *vuc_protocol_problem(const struct vuc_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* VFIO_USER_CLIENT_H */
