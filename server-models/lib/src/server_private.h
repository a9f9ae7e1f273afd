/*
 * Internals of the server library: the context every file hangs off, the
 * message being handled, and the functions the protocol-area files share.
 */
#ifndef VUS_SERVER_PRIVATE_H
#define VUS_SERVER_PRIVATE_H

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>

#include "vfio_user/server.h"

#define VUS_CFG_SIZE_PCI 256u
#define VUS_CFG_SIZE_PCIE 4096u
/* fds accepted with one message; libvfio-user allows more, but a client may
 * only send as many as the server's max_msg_fds (8). */
#define VUS_MAX_RECV_FDS 16u
#define VUS_DEFAULT_IO_TIMEOUT_MS 10000

struct vus_region {
    uint64_t size;
    uint32_t flags; /* VUS_REGION_* */
    vus_region_cb cb;
    void *priv;
    bool is_bar;
    uint32_t bar_flags;
    /* mmap-able areas (vus_bar_set_mmap); mmap_fd is the library's dup, -1
     * when the region is not offered for mmap. */
    int mmap_fd;
    uint64_t mmap_offset;
    size_t nr_mmap_areas;
    struct vus_mmap_area mmap_areas[VUS_MAX_MMAP_AREAS];
};

struct vus_dma_map_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t prot; /* VU_DMA_MAP_F_READ | VU_DMA_MAP_F_WRITE */
    void *vaddr;   /* mmap()ed client memory when the map came with an fd */
    /* Dirty pages, one bit per ctx->dirty_pgsize page, while logging is on
     * (fd-backed maps only); NULL otherwise. */
    uint8_t *dirty;
    /* MAP_SOCKET mode: the map's DMA socket (VU_DMA_MAP_F_RCSIM_SOCKET), -1
     * for none. Unmapped, it is shut at once and parked, closed only when no
     * DMA can be using it (vus_dma_close_parked). */
    int sock;
};

struct vus_async_dma {
    enum vus_dma_dir dir;
    uint64_t addr;
    uint8_t *buf;
    size_t len;
    size_t done_bytes;
    vus_dma_done_cb done;
    void *arg;
    bool in_flight;     /* a chunk is out, waiting for its reply */
    uint16_t chunk_id;  /* msg_id of that chunk */
    uint32_t chunk_len; /* its count */
    int chunk_fd;       /* socket it went out on */
    struct vus_async_dma *next;
};

/* One received client message and the reply being built for it. */
struct vus_msg {
    struct vu_hdr hdr;
    uint8_t *body;
    size_t body_len;
    int fds[VUS_MAX_RECV_FDS];
    size_t nfds;
    uint8_t *out; /* reply payload, freed after sending */
    size_t out_len;
    int out_fd; /* one fd to send with the reply, -1 for none; closed after */
    /* Failed vus_valid_header(): answered with EINVAL, body left unread. */
    bool bad_header;
};

/* A client command QUEUE mode read while waiting for a DMA reply. */
struct vus_held {
    struct vus_msg msg;
    size_t bytes; /* header + body as read: what counts against the limit */
    struct vus_held *next;
};

/* A cancelled asynchronous chunk whose late reply is read and dropped. */
struct vus_orphan {
    uint16_t id;
    uint16_t cmd;
    int fd;
};
#define VUS_MAX_ORPHANS 16u

struct vus_ctx {
    struct vus_config cfg;
    char *socket_path;
    char *name;
    bool realized;
    volatile sig_atomic_t stop;

    /* The idle announcement (server_idle.c): the harness's page, NULL when
     * not offered or off; messages read from and written to the client since
     * its accept (all sockets; atomics: DMA may run on a device's thread). */
    struct vu_idle_page *idle_page;
    uint64_t msgs_in, msgs_out;
    /* The thread that announces (the one in vus_step(); 0 before its first
     * announcement), and whether a message sent by another thread has
     * withdrawn the announcement for good (atomics). */
    pid_t idle_loop_tid;
    /* The thread in vus_step() (atomic; 0 before the first step): the one
     * thread that may wait for a DMA reply on the main socket, which that
     * thread reads too. */
    pid_t step_tid;
    bool idle_withdrawn;

    int listen_fd;
    int conn_fd;
    int twin_fd;
    bool negotiated;
    uint32_t client_max_data_xfer;
    uint32_t client_max_fds;
    /* DMA msg_ids: like libvfio-user's process-wide counter, kept across
     * clients (race279_next_client.jsonl shows ids continuing). */
    uint16_t next_dma_id;
    bool warned_279; /* logged once that DMA goes on the main socket */

    bool pci;
    struct vus_pci_id id;
    struct vus_region regions[VU_PCI_NUM_REGIONS];
    uint32_t cfg_size;
    uint8_t space[VUS_CFG_SIZE_PCIE];     /* config space */
    uint8_t cfg_wmask[VUS_CFG_SIZE_PCIE]; /* bits software may write */
    uint8_t cfg_w1c[VUS_CFG_SIZE_PCIE];   /* bits cleared by writing 1 */
    uint8_t cfg_reset[VUS_CFG_SIZE_PCIE]; /* contents after reset */
    uint8_t cap_tail;                     /* offset of the last cap's next pointer */
    uint8_t cap_free;                     /* next free offset for a cap */
    uint8_t pcie_off, msi_off, msix_off;

    unsigned msi_nvec;
    unsigned msix_nvec;
    unsigned msix_table_bar, msix_pba_bar;
    uint32_t msix_table_off, msix_pba_off;
    uint8_t *msix_table;
    uint8_t *msix_pba;

    uint32_t irq_count[VU_PCI_NUM_IRQS];
    int *efds[VU_PCI_NUM_IRQS];
    bool intx_masked;
    bool intx_pending;
    bool flr_requested; /* Initiate FLR written; the reset callback runs after the lock */

    /* Guards config space, IRQ state and the map table: a DMA worker thread
     * may trigger IRQs or check maps while the loop thread handles commands. */
    pthread_mutex_t lock;
    /* One synchronous DMA at a time. */
    pthread_mutex_t dma_lock;

    struct vus_dma_map_entry *maps;
    size_t nmaps;
    size_t maps_cap;
    /* Map sockets unmapped and shut, not yet closed: a DMA on another thread
     * may still be polling one (server_dma_map.c). Under lock. */
    int *parked;
    size_t nparked;
    size_t parked_cap;

    struct vus_async_dma *aq_head;
    struct vus_async_dma *aq_tail;
    struct vus_orphan orphans[VUS_MAX_ORPHANS]; /* oldest first */
    size_t norphans;

    /* The synchronous transfer under way (vus_dma_read/write), so that a
     * DEVICE_RESET or DMA_UNMAP read meanwhile (QUEUE mode) can cancel it. */
    bool sync_active;
    uint64_t sync_addr;
    size_t sync_len;
    bool sync_cancelled;

    /* QUEUE mode: commands held while a DMA reply is awaited. */
    struct vus_held *held_head;
    struct vus_held *held_tail;
    size_t held_bytes;
    size_t held_peak; /* this connection's */

    vus_dma_interrupt_cb dma_intr_cb;
    void *dma_intr_arg;

    vus_reset_cb reset_cb;
    void *reset_priv;
    /* Migration v2 (server_migration.c); mig_flags 0: not offered. */
    uint64_t mig_flags;
    struct vus_migration_ops mig_ops;
    void *mig_priv;
    enum vu_mig_state mig_state;

    /* Dirty page logging (server_dirty_log.c): offered by the device, and
     * the page size the client started it with (0: off). */
    bool dirty_offered;
    uint64_t dirty_pgsize;

    /* Quiesce (server_quiesce.c). q_msg is the message held while the
     * device quiesces; q_done/q_err are set by vus_device_quiesced() (any
     * thread, under lock) and q_wake_fd (an eventfd) wakes the loop. While
     * q_quiesced, only q_thread (the loop, inside the message's handler)
     * may start DMA. */
    vus_quiesce_cb quiesce_cb;
    void *quiesce_priv;
    vus_unquiesce_cb unquiesce_cb;
    void *unquiesce_priv;
    struct vus_msg *q_msg;
    bool q_done;
    int q_err;
    int q_wake_fd;
    bool q_quiesced;
    pthread_t q_thread;
};

/* Logging (stderr, prefixed with the context's name). */
void vus_log_err(const struct vus_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void vus_log_dbg(const struct vus_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* server_transport.c */
/* server_idle.c: the idle announcement (vfio_user/idle_announce.h). */
void vus_idle_open(struct vus_ctx *ctx);
void vus_idle_close(struct vus_ctx *ctx);
void vus_idle_count_in(struct vus_ctx *ctx);
void vus_idle_count_out(struct vus_ctx *ctx);
void vus_idle_reset_counts(struct vus_ctx *ctx);
void vus_idle_announce(struct vus_ctx *ctx);
void vus_idle_retract(struct vus_ctx *ctx);
void vus_idle_before_send(struct vus_ctx *ctx); /* any thread, before a message leaves */
void vus_idle_lie(struct vus_ctx *ctx);         /* cfg.idle_announce_lie: a broken promise */

int vus_tr_listen(struct vus_ctx *ctx);
int vus_tr_accept(struct vus_ctx *ctx);
void vus_tr_close_client(struct vus_ctx *ctx);
int vus_tr_recv_exact(int fd, void *buf, size_t len, int timeout_ms, int *fds, size_t *nfds);
int vus_tr_send(int fd, const struct vu_hdr *hdr, const void *p1, size_t l1, const void *p2,
                size_t l2, const int *fds, size_t nfds);
int vus_tr_reply(struct vus_ctx *ctx, const struct vu_hdr *cmd_hdr, int err, const void *payload,
                 size_t len, int fd);
int vus_tr_drain(int fd, size_t len, int timeout_ms);
void vus_close_fds(int *fds, size_t nfds);

/* server_version.c */
int vus_version_negotiate(struct vus_ctx *ctx, struct vus_msg *msg);

/* server_dispatch.c */
int vus_handle_main(struct vus_ctx *ctx);
void vus_disconnect(struct vus_ctx *ctx);
bool vus_valid_header(const struct vus_ctx *ctx, const struct vu_hdr *h);
int vus_msg_read_body(struct vus_ctx *ctx, struct vus_msg *msg);
/* Runs a command (or answers a bad header) and sends its reply; a negative
 * errno means the reply could not be sent and the client must go. */
int vus_msg_serve(struct vus_ctx *ctx, struct vus_msg *msg);
/* The same once past the quiesce: runs it (err 0) or fails it with err. */
int vus_msg_run(struct vus_ctx *ctx, struct vus_msg *msg, int err);
void vus_msg_free(struct vus_msg *msg);

/* server_dma_queue.c (QUEUE mode) */
int vus_dmaq_recv_reply(struct vus_ctx *ctx, uint16_t id, enum vus_dma_dir dir, uint64_t addr,
                        void *data, uint32_t count);
/* Serves every held command in order; 1, or -ENOTCONN after dropping the
 * client. */
int vus_dmaq_serve_held(struct vus_ctx *ctx);
/* Frees what is held and prints the peak line (QUEUE mode). */
void vus_dmaq_end_connection(struct vus_ctx *ctx);

/* server_dma_mode.c: telling the device its DMA was interrupted */
bool vus_unmap_touches(const struct vus_msg *msg, uint64_t addr, size_t len);
void vus_dma_interrupted(struct vus_ctx *ctx, const struct vus_msg *msg);

/* server_device.c: DEVICE_GET_INFO, GET_REGION_INFO, GET_REGION_IO_FDS, RESET */
int vus_h_device_get_info(struct vus_ctx *ctx, struct vus_msg *msg);
int vus_h_region_info(struct vus_ctx *ctx, struct vus_msg *msg);
int vus_h_region_io_fds(struct vus_ctx *ctx, struct vus_msg *msg);
int vus_h_device_reset(struct vus_ctx *ctx, struct vus_msg *msg);
int vus_h_device_feature(struct vus_ctx *ctx, struct vus_msg *msg);
int vus_h_mig_data_read(struct vus_ctx *ctx, struct vus_msg *msg);
int vus_h_mig_data_write(struct vus_ctx *ctx, struct vus_msg *msg);
void vus_migration_reset(struct vus_ctx *ctx);

/* server_dirty_log.c */
int vus_h_dirty_start(struct vus_ctx *ctx, struct vus_msg *msg, const struct vu_device_feature *f);
int vus_h_dirty_stop(struct vus_ctx *ctx, struct vus_msg *msg, const struct vu_device_feature *f);
int vus_h_dirty_report(struct vus_ctx *ctx, struct vus_msg *msg, const struct vu_device_feature *f);
/* A new map while logging is on gets its bitmap; lock held. */
int vus_dirty_map_added(struct vus_ctx *ctx, struct vus_dma_map_entry *m);
/* Marks pages of one map; lock held. */
void vus_dirty_mark_map(const struct vus_ctx *ctx, struct vus_dma_map_entry *m, uint64_t addr,
                        size_t len);
/* Logging off, every bitmap freed; lock held. */
void vus_dirty_reset(struct vus_ctx *ctx);

/* server_quiesce.c */
/* Before serving msg: 0 to serve it now, 1 when it is held (the device
 * quiesces later; msg's contents moved out), or a negative errno to fail it. */
int vus_quiesce_before(struct vus_ctx *ctx, struct vus_msg *msg);
/* After the message is answered: the device is no longer quiesced. */
void vus_quiesce_after(struct vus_ctx *ctx);
/* Serves the held message once the device has quiesced: 1 when it did, 0
 * when there was nothing to serve, -ENOTCONN after dropping the client. */
int vus_quiesce_resume(struct vus_ctx *ctx);
/* A client command read while a quiesce is pending: held in order. */
bool vus_quiesce_holding(const struct vus_ctx *ctx);
/* DMA may start now (not quiesced, or inside the quiesced message). */
bool vus_quiesce_allows_dma(struct vus_ctx *ctx);
void vus_quiesce_drop(struct vus_ctx *ctx); /* on disconnect */

/* server_mmap.c: mmap-able BAR areas in DEVICE_GET_REGION_INFO */
size_t vus_mmap_caps_size(const struct vus_region *r);
/* Writes the sparse mmap cap at out + sizeof(struct vu_region_info). */
void vus_mmap_write_caps(const struct vus_region *r, uint8_t *out);
void vus_mmap_close(struct vus_ctx *ctx);

/* server_region.c */
int vus_h_region_access(struct vus_ctx *ctx, struct vus_msg *msg);

/* server_pci_config.c */
void vus_cfg_init(struct vus_ctx *ctx);
int vus_cfg_setup_rom(struct vus_ctx *ctx, uint64_t size);
int vus_cfg_setup_bar(struct vus_ctx *ctx, unsigned bar, uint64_t size, uint32_t bar_flags);
void vus_cfg_finalize(struct vus_ctx *ctx);
void vus_cfg_reset(struct vus_ctx *ctx);
ssize_t vus_cfg_access(struct vus_ctx *ctx, uint64_t off, uint8_t *buf, size_t count,
                       bool is_write);
uint16_t vus_cfg_r16(const struct vus_ctx *ctx, unsigned off);
uint32_t vus_cfg_r32(const struct vus_ctx *ctx, unsigned off);
void vus_cfg_w16(struct vus_ctx *ctx, unsigned off, uint16_t v, uint16_t wmask);
void vus_cfg_w32(struct vus_ctx *ctx, unsigned off, uint32_t v, uint32_t wmask);
void vus_cfg_w8(struct vus_ctx *ctx, unsigned off, uint8_t v, uint8_t wmask);

/* server_caps.c */
int vus_cap_alloc(struct vus_ctx *ctx, uint8_t id, uint8_t size);
bool vus_msix_covers(const struct vus_ctx *ctx, unsigned bar, uint64_t off, size_t count);
ssize_t vus_msix_access(struct vus_ctx *ctx, unsigned bar, uint64_t off, uint8_t *buf, size_t count,
                        bool is_write);

/* server_irq.c */
int vus_h_irq_info(struct vus_ctx *ctx, struct vus_msg *msg);
int vus_h_set_irqs(struct vus_ctx *ctx, struct vus_msg *msg);
void vus_irq_reset(struct vus_ctx *ctx);           /* close every eventfd; lock held */
void vus_irq_after_cfg_write(struct vus_ctx *ctx); /* deliver unmasked pending; lock held */
void vus_msix_after_table_write(struct vus_ctx *ctx, unsigned vector); /* lock held */

/* server_dma_map.c */
int vus_h_dma_map(struct vus_ctx *ctx, struct vus_msg *msg);
int vus_h_dma_unmap(struct vus_ctx *ctx, struct vus_msg *msg);
void vus_dma_maps_clear(struct vus_ctx *ctx);
/* Shuts every map socket so a DMA waiting on one wakes (disconnect); any
 * thread. */
void vus_dma_maps_shutdown(struct vus_ctx *ctx);
/* Closes the parked map sockets; dma_lock held (no DMA is using them). */
void vus_dma_close_parked(struct vus_ctx *ctx);
/* Length of the piece of [addr, addr+len) inside one map with prot, or 0;
 * *direct says the map is mmap()ed (use vus_dma_copy_direct); *sock is the
 * map's DMA socket or -1. */
size_t vus_dma_map_span(struct vus_ctx *ctx, uint64_t addr, size_t len, uint32_t prot, bool *direct,
                        int *sock);
/* After a failed DMA on map socket sock: whether the map at addr was
 * unmapped (or remapped) since. */
bool vus_dma_map_socket_gone(struct vus_ctx *ctx, uint64_t addr, int sock);
/* Holds a message read while a quiesce is pending (served after it). */
int vus_dmaq_hold(struct vus_ctx *ctx, struct vus_msg *msg);
/* Caller holds ctx->lock. */
struct vus_dma_map_entry *vus_dma_find_map(struct vus_ctx *ctx, uint64_t addr);
int vus_dma_copy_direct(struct vus_ctx *ctx, enum vus_dma_dir dir, uint64_t addr, void *buf,
                        size_t len);

/* server_dma_reply.c: reading a DMA reply exactly as libvfio-user does. */
int vus_dma_recv_reply(struct vus_ctx *ctx, int fd, uint16_t id, enum vus_dma_dir dir,
                       uint64_t addr, void *data, uint32_t count);
int vus_dma_finish_reply(struct vus_ctx *ctx, int fd, const struct vu_hdr *h, uint16_t id,
                         enum vus_dma_dir dir, uint64_t addr, void *data, uint32_t count);
/* server_dma.c / server_dma_async.c */
uint16_t vus_dma_alloc_id(struct vus_ctx *ctx);
int vus_dma_check_range(struct vus_ctx *ctx, enum vus_dma_dir dir, uint64_t addr, size_t len);
int vus_dma_send_chunk(struct vus_ctx *ctx, int fd, uint16_t id, enum vus_dma_dir dir,
                       uint64_t addr, const void *data, uint32_t count);
int vus_dma_socket(const struct vus_ctx *ctx);
void vus_dma_break_connection(struct vus_ctx *ctx);
/* A DMA on fd failed in transit: a map socket is shut alone, the main or
 * twin socket breaks the connection. */
void vus_dma_socket_failed(struct vus_ctx *ctx, int fd);
bool vus_dma_is_map_socket(const struct vus_ctx *ctx, int fd);
bool vus_async_claims_reply(struct vus_ctx *ctx, const struct vu_hdr *hdr, int fd);
int vus_async_on_reply(struct vus_ctx *ctx, const struct vu_hdr *hdr, int fd);
int vus_async_handle_twin(struct vus_ctx *ctx);
void vus_async_fail_all(struct vus_ctx *ctx, int err);
/* A DEVICE_RESET or DMA_UNMAP about to be served: cancels the async jobs it
 * affects (ECANCELED), after telling the device. */
void vus_async_interrupt(struct vus_ctx *ctx, const struct vus_msg *msg);
bool vus_async_pending(const struct vus_ctx *ctx);

#endif /* VUS_SERVER_PRIVATE_H */
