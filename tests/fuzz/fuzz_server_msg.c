/*
 * Client messages into the server library's real message path
 * (vus_handle_main: header checks, VERSION negotiation, the handler table)
 * over a socketpair, on a device with a BAR, an I/O BAR, PCIe, MSI and
 * MSI-X capabilities and INTx/MSI/MSI-X IRQs. Replies (and any fd the server
 * sends, such as the twin socket) are drained and closed by a reader thread.
 *
 * The device also offers migration v2 and dirty page logging, and has a
 * quiesce callback: so DEVICE_FEATURE, MIG_DATA_* and the held-message path
 * are reached too.
 *
 * Input: byte 0 = how many eventfds ride with the first message (0-3, for
 * SET_IRQS and DMA_MAP's fd checks; bit 2: the quiesce answers EBUSY and
 * completes after the next message), then the client's byte stream on the
 * main socket. The stream ends with EOF, so no read waits for its timeout.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server_private.h"
#include "server_stream.h"

#define MAX_STREAM (64u * 1024u) /* fits the socket buffer: the write never blocks */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t bar0[4096];

static ssize_t bar_cb(void *priv, unsigned region, uint64_t offset, void *buf, size_t count,
                      bool is_write) {
    (void)priv, (void)region;
    if (offset >= sizeof(bar0) || count > sizeof(bar0) - offset) {
        return -EINVAL;
    }
    if (is_write) {
        memcpy(bar0 + offset, buf, count);
    } else {
        memcpy(buf, bar0 + offset, count);
    }
    return (ssize_t)count;
}

static int quiesce_answer;

static int on_quiesce(void *priv) {
    (void)priv;
    return quiesce_answer;
}

static int on_transition(void *priv, enum vu_mig_state from, enum vu_mig_state to) {
    (void)priv, (void)from, (void)to;
    return 0;
}

static ssize_t on_read_data(void *priv, void *buf, size_t len) {
    (void)priv;
    size_t n = len < 16 ? len : 16;
    memset(buf, 0x5a, n);
    return (ssize_t)n;
}

static ssize_t on_write_data(void *priv, const void *buf, size_t len) {
    (void)priv, (void)buf;
    return (ssize_t)len;
}

static struct vus_ctx *make_device(void) {
    struct vus_config cfg = {.socket_path = "/nonexistent/fuzz.sock", .name = "fuzz"};
    struct vus_ctx *ctx = vus_create(&cfg);
    if (ctx == NULL) {
        return NULL;
    }
    static const struct vus_migration_ops mig_ops = {on_transition, on_read_data, on_write_data};
    struct vus_pci_id id = {.vendor_id = 0x1b36, .device_id = 0x0010, .class_code = 0x058000};
    if (vus_pci_init(ctx, &id) < 0 ||
        vus_setup_bar(ctx, 0, 4096, VUS_BAR_MEM32, bar_cb, NULL) < 0 ||
        vus_setup_bar(ctx, 2, 8192, VUS_BAR_MEM64, bar_cb, NULL) < 0 ||
        vus_setup_bar(ctx, 4, 16, VUS_BAR_IO, bar_cb, NULL) < 0 || vus_add_cap_pcie(ctx) < 0 ||
        vus_add_cap_msi(ctx, 4) < 0 || vus_add_cap_msix(ctx, 8, 2, 0, 2, 4096) < 0 ||
        vus_setup_irq(ctx, VU_PCI_INTX_IRQ, 1) < 0 ||
        vus_setup_migration(ctx, VU_MIGRATION_STOP_COPY | VU_MIGRATION_PRE_COPY, &mig_ops, NULL) <
            0 ||
        vus_setup_dirty_logging(ctx) < 0) {
        vus_destroy(ctx);
        return NULL;
    }
    vus_set_quiesce_cb(ctx, on_quiesce, NULL);
    vus_cfg_finalize(ctx); /* vus_realize() without the listening socket */
    ctx->realized = true;
    return ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2 || size - 1 > MAX_STREAM) {
        return 0;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        return 0;
    }
    int sndbuf = 256 * 1024;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    if (server_stream_send(sv[1], data + 1, size - 1, data[0] & 3u) < 0) {
        close(sv[0]);
        close(sv[1]);
        return 0;
    }
    shutdown(sv[1], SHUT_WR);
    struct vus_ctx *ctx = make_device();
    if (ctx == NULL) {
        close(sv[0]);
        close(sv[1]);
        return 0;
    }
    pthread_t reader;
    pthread_create(&reader, NULL, server_stream_drain, &sv[1]);
    ctx->conn_fd = sv[0]; /* as vus_tr_accept() would; the library closes it */
    ctx->cfg.io_timeout_ms = 1000;
    /* Every message consumes at least a header, so this ends at EOF. */
    quiesce_answer = (data[0] & 4u) ? -EBUSY : 0;
    while (vus_handle_main(ctx) > 0) {
        if (vus_quiesce_pending(ctx)) {
            vus_device_quiesced(ctx, 0);
        }
        if (vus_quiesce_resume(ctx) < 0) {
            break;
        }
    }
    pthread_join(reader, NULL);
    close(sv[1]);
    vus_destroy(ctx);
    return 0;
}
