/*
 * rcsim's vfio-user server library: one PCI device served over a UNIX socket.
 *
 * A context listens on a socket path and serves one client at a time; after a
 * disconnect it accepts the next. It can be driven by vus_run() or from the
 * caller's own poll loop (vus_get_pollfds() + vus_step()). Everything lives in
 * the context; the library has no global state. Errors are negative errnos.
 *
 * Wire behaviour follows libvfio-user (the reference server) where a client can
 * see it: the same header checks, the same errnos, the same reply layouts, and
 * VERSION JSON formatted the way json-c formats it for libvfio-user.
 *
 * ---- Legacy mode: the bug under study (libvfio-user issue #279) ----------
 * With vus_config.dma_mode VUS_DMA_MODE_LEGACY (or legacy_socket) the server
 * refuses the twin socket, as
 * libvfio-user did before the fix, and its synchronous DMA (vus_dma_read /
 * vus_dma_write) sends DMA_READ/DMA_WRITE on the main socket and then reads the
 * next header on that socket as if it were the reply. If the client sent a
 * command in the meantime (its next MMIO, say), that command's 16-byte header
 * is consumed as the "reply": the ids differ, so the DMA fails with EPROTO
 * (had the ids matched, the reply-type check fails it with EINVAL). The
 * connection is NOT reset; the command's body stays in the stream and is later
 * parsed as headers, and the client's late DMA reply is parsed as a run of
 * 16-byte headers, each answered with an EINVAL error reply unless its flags
 * happen to carry NO_REPLY. The swallowed command never gets a reply.
 * tests/transcripts/race279.jsonl records exactly this from libvfio-user;
 * tests/server-models/server_transcript_test replays it against us.
 * This is deliberate: it is what rcsim exists to reproduce. Do not "fix" it
 * here; clients that want a working server use the twin socket.
 */
#ifndef VFIO_USER_SERVER_H
#define VFIO_USER_SERVER_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vfio_user/proto.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vus_ctx;

/* What the server offers in VERSION (libvfio-user's values). */
#define VUS_MAX_MSG_FDS 8u
#define VUS_MAX_DATA_XFER_SIZE (1024u * 1024u)
/* Largest message accepted: a REGION_WRITE of VUS_MAX_DATA_XFER_SIZE. */
#define VUS_MAX_MSG_SIZE (VUS_MAX_DATA_XFER_SIZE + 32u)
/* Largest error_no accepted in a client's error reply (libvfio-user's bound). */
#define VUS_MAX_ERROR_NO 4096u

/* How server-to-client DMA meets the client's commands (the #279 design
 * space; server-models/README.md has the table of outcomes per mode). */
enum vus_dma_mode {
    /* Offer the twin socket; DMA goes there. A client that does not ask for
     * it gets DMA on the main socket with the #279 behaviour, as LEGACY. */
    VUS_DMA_MODE_TWIN = 0,
    /* Refuse the twin socket; synchronous DMA on the main socket reads the
     * next header as its reply (the recorded #279 behaviour, see above). */
    VUS_DMA_MODE_LEGACY,
    /* Refuse the twin socket; synchronous DMA on the main socket holds every
     * client command that arrives before its reply (up to dma_queue_limit
     * bytes) and serves them, in order, once the command whose handler did
     * the DMA has been answered. */
    VUS_DMA_MODE_QUEUE,
    /* Refuse the twin socket; the device uses vus_dma_submit() (replies
     * matched by id) and the loop keeps serving commands meanwhile.
     * Synchronous DMA by messages is refused with -EOPNOTSUPP. */
    VUS_DMA_MODE_ASYNC,
    /* Refuse the twin socket; accept DMA_MAP with VU_DMA_MAP_F_RCSIM_SOCKET
     * (a DMA socket per mapping, the first design of #279): synchronous DMA
     * into such a map goes on its socket and reads the reply there; DMA into
     * a map without one goes on the main socket as LEGACY. A failure on a
     * map socket fails that DMA and shuts that socket only; DMA_UNMAP closes
     * it (a DMA waiting on it ends with -ECANCELED). */
    VUS_DMA_MODE_MAP_SOCKET,
};

/* "twin", "legacy", "queue", "async", "map-socket"; NULL for a value out of
 * range. */
const char *vus_dma_mode_name(enum vus_dma_mode mode);
/* Parses those names; -EINVAL for anything else. */
int vus_dma_mode_parse(const char *name, enum vus_dma_mode *out);

/* Default of vus_config.dma_queue_limit. */
#define VUS_DEFAULT_DMA_QUEUE_LIMIT (64u * 1024u)

struct vus_config {
    const char *socket_path; /* required; an existing socket file is replaced */
    const char *name;        /* log prefix; NULL means "vus" */
    /* Refuse the twin socket: DMA on main (see above). Same as dma_mode
     * VUS_DMA_MODE_LEGACY when dma_mode is left at TWIN. */
    bool legacy_socket;
    enum vus_dma_mode dma_mode;
    /* QUEUE mode: most bytes (whole messages, header included) held while a
     * DMA reply is awaited; 0 means VUS_DEFAULT_DMA_QUEUE_LIMIT. */
    size_t dma_queue_limit;
    bool verbose; /* log every message to stderr, not only errors */
    /* Report GET_IRQ_INFO flags as libvfio-user does (EVENTFD only). Otherwise
     * INTx says MASKABLE|AUTOMASKED and MSI/MSI-X say NORESIZE, as VFIO does. */
    bool libvfio_user_irq_flags;
    /* Advertise migration {pgsize} in VERSION (libvfio-user does when a
     * device sets up migration; vus_setup_migration does not set it). */
    uint32_t migration_pgsize;
    /* Wait for a DMA reply this long before giving up with ETIMEDOUT and
     * dropping the client; also bounds reading the rest of a started message.
     * 0 means 10000 ms; negative waits for ever, as libvfio-user does. */
    int io_timeout_ms;
    /* The idle announcement (vfio_user/idle_announce.h) is made whenever the
     * harness that started the server offers its page; this turns it off. */
    bool no_idle_announce;
    /* Hostile, for tests: announce idle on reading a message, before it is
     * handled and answered (a broken promise the harness must catch). */
    bool idle_announce_lie;
};

/* ---- Context ------------------------------------------------------------ */

/* NULL with errno set on failure. The socket is created by vus_realize().
 * Maps the idle announcement page the environment offers (unless
 * cfg->no_idle_announce). */
struct vus_ctx *vus_create(const struct vus_config *cfg);
void vus_destroy(struct vus_ctx *ctx);
/* A device with work of its own outside the library's loop (a worker
 * thread, a timer) must not announce idle: it calls this before it starts
 * that work, and the harness falls back to /proc. */
void vus_idle_announce_off(struct vus_ctx *ctx);
/* Whether the announcement is being made (the page is mapped, not off). */
bool vus_idle_announcing(const struct vus_ctx *ctx);

/* ---- PCI device description (before vus_realize) ------------------------ */

struct vus_pci_id {
    uint16_t vendor_id;
    uint16_t device_id;
    uint16_t subsys_vendor_id;
    uint16_t subsys_id;
    uint8_t revision;
    uint32_t class_code; /* 24 bits: base class, subclass, prog-if */
};

int vus_pci_init(struct vus_ctx *ctx, const struct vus_pci_id *id);

/* Puts read-only bytes into config space (anywhere in its 256 bytes, or its
 * 4 KiB once the PCIe capability is added: extended capabilities), for
 * models that must look like a recorded device byte for byte (libvfio-user
 * shows unused BARs as 0x1). */
int vus_pci_set_config_bytes(struct vus_ctx *ctx, unsigned off, const void *bytes, size_t len);

/* Region access callback: buf holds count bytes to write or receives count
 * bytes read. Returns count, or a negative errno (the client gets it). */
typedef ssize_t (*vus_region_cb)(void *priv, unsigned region, uint64_t offset, void *buf,
                                 size_t count, bool is_write);

#define VUS_REGION_READ 0x1u
#define VUS_REGION_WRITE 0x2u
#define VUS_REGION_RW (VUS_REGION_READ | VUS_REGION_WRITE)

/* A non-BAR region (ROM, VGA) or a region without a BAR register. */
int vus_setup_region(struct vus_ctx *ctx, unsigned index, uint64_t size, uint32_t flags,
                     vus_region_cb cb, void *priv);

/* Expansion ROM (region 6) of size a power of two >= 2 KiB, read-only;
 * also makes the ROM BAR at config 0x30 sizable (bits 31:11, enable bit 0). */
int vus_setup_rom(struct vus_ctx *ctx, uint64_t size, vus_region_cb cb, void *priv);

#define VUS_BAR_MEM32 0x0u
#define VUS_BAR_IO 0x1u
#define VUS_BAR_MEM64 0x2u
#define VUS_BAR_PREFETCH 0x4u

/* BAR n (0-5) of size a power of two (>= 16 for memory, >= 4 for I/O); also
 * programs the BAR register in config space. A 64-bit BAR uses n and n+1. */
int vus_setup_bar(struct vus_ctx *ctx, unsigned bar, uint64_t size, uint32_t bar_flags,
                  vus_region_cb cb, void *priv);

/* ---- mmap-able areas of a memory BAR (before vus_realize) ------------- */

/* One area of a BAR a client may mmap: offset and size within the BAR, both
 * multiples of 4096 (a mapping is made of whole pages). */
struct vus_mmap_area {
    uint64_t offset;
    uint64_t size;
};
#define VUS_MAX_MMAP_AREAS 16u

/* Offers memory BAR n (set up already) for mmap, as libvfio-user's
 * vfu_setup_region with an fd and mmap_areas does: byte k of the BAR is byte
 * fd_offset + k of fd. DEVICE_GET_REGION_INFO then says MMAP and, when the
 * client's argsz has room for them, lists the areas in a sparse mmap
 * capability (id 1, version 1) and sends the fd with the reply. The library
 * keeps a dup of fd (the caller's stays the caller's). A client that maps an
 * area loads and stores there without any message, so the BAR's callback
 * must serve REGION_READ/REGION_WRITE from the same bytes. -EINVAL for an
 * I/O BAR, a BAR not set up, no areas, an area outside the BAR or not page
 * aligned, or a bad fd; -EEXIST if the BAR already has areas. */
int vus_bar_set_mmap(struct vus_ctx *ctx, unsigned bar, int fd, uint64_t fd_offset,
                     const struct vus_mmap_area *areas, size_t nr_areas);

/* Number of vectors of an IRQ index (VU_PCI_INTX_IRQ..VU_PCI_REQ_IRQ).
 * INTx sets the Interrupt Pin to INTA. MSI/MSI-X counts come from the caps. */
int vus_setup_irq(struct vus_ctx *ctx, unsigned index, uint32_t count);

/* Capabilities, chained in the order they are added. */
int vus_add_cap_pcie(struct vus_ctx *ctx); /* PCIe v2 endpoint; 4 KiB config space */
/* Advertises Function Level Reset in the PCIe capability's Device Capabilities
 * (bit 28); call after vus_add_cap_pcie (-ENOENT without it), before
 * vus_realize. Writing Initiate FLR (Device Control bit 15) then calls the reset
 * callback with VUS_RESET_PCI_FLR, as libvfio-user does; without FLR advertised
 * that write is refused with EINVAL. */
int vus_pcie_advertise_flr(struct vus_ctx *ctx);
int vus_add_cap_msi(struct vus_ctx *ctx, unsigned nvec); /* 1,2,4..32; 64-bit, masking */
/* MSI-X table (16 B per vector) and PBA live in BARs already set up; the
 * library serves those ranges itself and passes the rest to the BAR's cb. */
int vus_add_cap_msix(struct vus_ctx *ctx, unsigned nvec, unsigned table_bar, uint32_t table_off,
                     unsigned pba_bar, uint32_t pba_off);

enum vus_reset_reason {
    VUS_RESET_DEVICE,    /* DEVICE_RESET from the client */
    VUS_RESET_LOST_CONN, /* the client went away */
    VUS_RESET_PCI_FLR,   /* Initiate FLR written to the PCIe Device Control */
};
typedef int (*vus_reset_cb)(void *priv, enum vus_reset_reason why);
void vus_set_reset_cb(struct vus_ctx *ctx, vus_reset_cb cb, void *priv);

/* Migration v2 (DEVICE_FEATURE MIGRATION and MIG_DEVICE_STATE, MIG_DATA_READ
 * and MIG_DATA_WRITE), as libvfio-user offers it. The library keeps the
 * device state, checks each SET against VFIO's state machine
 * (vfio_user/mig_states.h) and walks a combination transition one direct arc
 * at a time, calling transition() for each; an error from it leaves the
 * device in the state it reached and fails the SET with that errno.
 * read_data() gives the device's data in PRE_COPY and STOP_COPY (bytes
 * written, 0 at the end), write_data() takes it in RESUMING (bytes taken).
 * MIG_DATA_* in another state is EINVAL. A device starts RUNNING; DEVICE_RESET
 * and a lost client bring it back to RUNNING without a transition() call. */
struct vus_migration_ops {
    int (*transition)(void *priv, enum vu_mig_state from, enum vu_mig_state to);
    ssize_t (*read_data)(void *priv, void *buf, size_t len);
    ssize_t (*write_data)(void *priv, const void *buf, size_t len);
};
/* flags: VU_MIGRATION_* (STOP_COPY required). -EINVAL for bad flags or ops
 * without all three callbacks; -EBUSY after vus_realize(). */
int vus_setup_migration(struct vus_ctx *ctx, uint64_t flags, const struct vus_migration_ops *ops,
                        void *priv);
enum vu_mig_state vus_migration_state(const struct vus_ctx *ctx);

/* ---- Dirty page logging (before vus_realize) ---------------------------- */

/* Offers DEVICE_FEATURE DMA_LOGGING_START (SET), DMA_LOGGING_STOP (SET) and
 * DMA_LOGGING_REPORT (GET) with libvfio-user's wire semantics (README.md next
 * to this library): START logs every fd-backed map (the ranges are ignored,
 * message maps are skipped: the client sees that DMA itself), maps added
 * later are logged too, REPORT must name one fd-backed map exactly and
 * returns its bitmap (bit i of byte i/8 for page i, whole u64s) and clears
 * it, STOP drops every bitmap. Without this call the three features are
 * refused with EINVAL, PROBE included, as libvfio-user refuses them.
 * -EBUSY after vus_realize(). */
int vus_setup_dirty_logging(struct vus_ctx *ctx);
/* Whether the client has logging started (a page size set). */
bool vus_dirty_logging_active(const struct vus_ctx *ctx);

/* Marks [addr, addr+len) dirty in the fd-backed maps it touches, for
 * devices that store through vus_dma_ptr(). vus_dma_write() and
 * vus_dma_submit() writes to fd-backed maps mark their pages themselves.
 * Pieces outside fd-backed maps, or while logging is off, are ignored.
 * Safe from any thread. */
void vus_dma_mark_dirty(struct vus_ctx *ctx, uint64_t addr, size_t len);

/* A pointer to client memory [addr, addr+len), as libvfio-user's
 * vfu_sgl_get(): the range must lie in one fd-backed (mmap()ed) map with
 * prot (VU_DMA_MAP_F_READ and/or VU_DMA_MAP_F_WRITE). Stores through it are
 * NOT logged: call vus_dma_mark_dirty() after writing. The pointer is valid
 * until that map is unmapped (DMA_UNMAP, which quiesces first, or the client
 * going away). -EFAULT if the range is not inside one map, -EACCES without
 * the permission, -EOPNOTSUPP for a message-mode map, -EBUSY while the device
 * is quiesced (outside the message's own callbacks). */
int vus_dma_ptr(struct vus_ctx *ctx, uint64_t addr, size_t len, uint32_t prot, void **out);

/* ---- Quiesce ------------------------------------------------------------- */

/* As libvfio-user's quiesce callback (README.md next to this library has the
 * exact list of commands): before handling DMA_MAP, DMA_UNMAP, DEVICE_RESET,
 * a REGION_WRITE into the PCIe capability, and a DEVICE_FEATURE that libvfio-
 * user quiesces for (any SET, and GET of MIG_DEVICE_STATE; not PROBE) the
 * library calls cb. It returns 0 when the device is quiesced now (the
 * message is handled at once), -EBUSY when it will be later, another
 * negative errno to fail the message with it. After -EBUSY the message is
 * held unanswered and no further client command is handled (DMA replies
 * still are, and commands that arrive are held in order) until the device
 * calls vus_device_quiesced(). A quiesced device must not start DMA
 * (vus_dma_read/write/submit/ptr return -EBUSY) until the message is done;
 * the callbacks that message runs (reset, transition, ...) may. */
typedef int (*vus_quiesce_cb)(void *priv);
void vus_set_quiesce_cb(struct vus_ctx *ctx, vus_quiesce_cb cb, void *priv);
/* Not in libvfio-user (whose devices infer it from vfu_run_ctx returning):
 * called once the message the device quiesced for has been answered, so a
 * device with a worker or a DMA state machine knows it may start DMA again.
 * Runs on the loop thread. */
typedef void (*vus_unquiesce_cb)(void *priv);
void vus_set_unquiesce_cb(struct vus_ctx *ctx, vus_unquiesce_cb cb, void *priv);
/* The device has quiesced after its callback said -EBUSY: the held message is
 * handled and answered from the next vus_step() (err != 0 fails it with
 * that errno instead). Safe from any thread; -EINVAL when no quiesce is
 * pending. */
int vus_device_quiesced(struct vus_ctx *ctx, int err);
/* A quiesce is pending: the callback said -EBUSY and vus_device_quiesced()
 * has not been called yet. */
bool vus_quiesce_pending(const struct vus_ctx *ctx);

/* Builds config space and starts listening. */
int vus_realize(struct vus_ctx *ctx);

/* ---- Running ------------------------------------------------------------ */

/* Fills up to max pollfds (POLLIN) the caller should wait on: the listening
 * socket, or the client's main socket (+ the twin socket while asynchronous
 * DMA is outstanding). Returns how many. */
int vus_get_pollfds(struct vus_ctx *ctx, struct pollfd *pfds, size_t max);

/* Waits up to timeout_ms (0: just look, -1: forever) and handles what is
 * ready: accepts a client, or handles one message. Returns 1 if something was
 * handled, 0 if nothing was ready, -ENOTCONN if the client went away (the
 * context listens again), another negative errno on a fatal error. */
int vus_step(struct vus_ctx *ctx, int timeout_ms);

/* vus_step() until vus_stop(); returns 0 or a fatal negative errno. */
int vus_run(struct vus_ctx *ctx);
void vus_stop(struct vus_ctx *ctx); /* async-signal-safe; any thread */

bool vus_connected(const struct vus_ctx *ctx);
bool vus_twin_active(const struct vus_ctx *ctx);
enum vus_dma_mode vus_get_dma_mode(const struct vus_ctx *ctx); /* LEGACY if legacy_socket */
uint32_t vus_client_max_data_xfer_size(const struct vus_ctx *ctx);
const uint8_t *vus_config_space(const struct vus_ctx *ctx); /* read-only view */

/* ---- Interrupts --------------------------------------------------------- */

/* Signals vector of index through the client's eventfd. INTx is masked
 * automatically after each delivery until the client unmasks it (SET_IRQS
 * ACTION_UNMASK); MSI/MSI-X need their enable bit in config space and honour
 * the per-vector and function masks (a masked vector is left pending and
 * delivered on unmask). Returns 1 if delivered, 0 if left pending, -EINVAL
 * for a bad index/vector, -EPERM if not enabled, -ENOENT if the client set
 * no eventfd. Safe from any thread. */
int vus_irq_trigger(struct vus_ctx *ctx, unsigned index, unsigned vector);

/* ---- DMA (server to client) --------------------------------------------- */

/* Synchronous: sends DMA_READ/DMA_WRITE in chunks of at most the client's
 * max_data_xfer_size and waits for each reply (twin socket, or main socket in
 * legacy and queue modes; refused with -EOPNOTSUPP in async mode). The range
 * must lie in DMA_MAPs with the needed permission (-EFAULT otherwise). A
 * client error reply stops the transfer with its errno; -ECANCELED when a
 * DEVICE_RESET or DMA_UNMAP interrupted it (queue mode). Call from a region
 * callback (as libvfio-user devices do; the only way in legacy and queue
 * modes) or from one other thread at a time when the twin socket is active. */
int vus_dma_read(struct vus_ctx *ctx, uint64_t addr, void *buf, size_t len);
int vus_dma_write(struct vus_ctx *ctx, uint64_t addr, const void *buf, size_t len);

/* Asynchronous: queues the transfer and returns at once; the chunks go out
 * from vus_step() and done(arg, 0 or -errno) runs there when the transfer
 * ends. buf must stay valid until then. Replies are matched by id, also on the
 * main socket in legacy mode, so an async device does not hit the #279 race.
 * Call from the thread that runs vus_step(). */
enum vus_dma_dir { VUS_DMA_READ, VUS_DMA_WRITE };
typedef void (*vus_dma_done_cb)(void *arg, int result);
int vus_dma_submit(struct vus_ctx *ctx, enum vus_dma_dir dir, uint64_t addr, void *buf, size_t len,
                   vus_dma_done_cb done, void *arg);

/* The device's DMA was interrupted: a DEVICE_RESET, or a DMA_UNMAP of a range
 * one of its unanswered transfers touches, arrived while the transfer was
 * unanswered. What follows depends on the mode (server-models/README.md):
 * QUEUE calls this when the command is read, inside the device's own
 * vus_dma_read/write, which then returns -ECANCELED once the chunk in flight
 * is answered; the command is served after the handler returns. ASYNC calls
 * it before serving the command, then completes the affected submitted
 * transfers with -ECANCELED. LEGACY and TWIN never call it (LEGACY misreads
 * the command as the reply; TWIN reads it only after the reply). */
enum vus_dma_interrupt {
    VUS_DMA_INTR_RESET, /* DEVICE_RESET */
    VUS_DMA_INTR_UNMAP, /* DMA_UNMAP of a range the transfer touches */
};
typedef void (*vus_dma_interrupt_cb)(void *arg, enum vus_dma_interrupt why);
void vus_set_dma_interrupt_cb(struct vus_ctx *ctx, vus_dma_interrupt_cb cb, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* VFIO_USER_SERVER_H */
