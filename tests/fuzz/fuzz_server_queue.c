/*
 * The server library in QUEUE DMA mode (vus_config.dma_mode =
 * VUS_DMA_MODE_QUEUE, `--dma-mode queue`): synchronous DMA on the main
 * socket that holds every client command arriving before the DMA's reply
 * and serves them afterwards (server_dma_queue.c). The device's BAR0 is a
 * doorbell: a write at 0x10 makes its handler DMA (read if bit 0 of the
 * value, else write) `len` bytes at `addr`, both set by writes at 0x00 and
 * 0x08, so the client's stream decides what is in flight when its commands,
 * DMA replies, resets and unmaps arrive. The server's DMA ids start at 1.
 *
 * Input: byte 0 bits 0-1 = eventfds sent with the first bytes (as in
 * fuzz_server_msg), bits 2-3 = the queue limit (default, 64, 1, 4096
 * bytes); then the client's main-socket stream, ended by EOF.
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
#define DMA_MAX 256u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct doorbell {
    struct vus_ctx *ctx;
    uint64_t addr, len;
    uint8_t buf[DMA_MAX];
};

static uint64_t le64(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n && i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static ssize_t bar_cb(void *priv, unsigned region, uint64_t offset, void *buf, size_t count,
                      bool is_write) {
    struct doorbell *d = priv;
    (void)region;
    if (offset >= 0x18 || count > 8)
        return -EINVAL;
    if (!is_write) {
        memset(buf, 0, count);
        return (ssize_t)count;
    }
    uint64_t v = le64(buf, count);
    if (offset == 0x00)
        d->addr = v;
    else if (offset == 0x08)
        d->len = v < DMA_MAX ? v : DMA_MAX;
    else if (offset == 0x10 && d->len > 0) {
        int rc = (v & 1) ? vus_dma_read(d->ctx, d->addr, d->buf, d->len)
                         : vus_dma_write(d->ctx, d->addr, d->buf, d->len);
        if (rc < 0)
            return rc; /* the library answers the BAR write with the error */
    }
    return (ssize_t)count;
}

static struct vus_ctx *make_device(struct doorbell *d, unsigned limit_sel) {
    static const size_t limits[4] = {0, 64, 1, 4096}; /* 0: the library's default */
    struct vus_config cfg = {.socket_path = "/nonexistent/fuzz.sock",
                             .name = "fuzzq",
                             .dma_mode = VUS_DMA_MODE_QUEUE,
                             .dma_queue_limit = limits[limit_sel & 3u]};
    struct vus_ctx *ctx = vus_create(&cfg);
    if (ctx == NULL)
        return NULL;
    struct vus_pci_id id = {.vendor_id = 0x1b36, .device_id = 0x0010, .class_code = 0x058000};
    d->ctx = ctx;
    if (vus_pci_init(ctx, &id) < 0 || vus_setup_bar(ctx, 0, 4096, VUS_BAR_MEM32, bar_cb, d) < 0 ||
        vus_add_cap_msi(ctx, 1) < 0 || vus_setup_irq(ctx, VU_PCI_INTX_IRQ, 1) < 0) {
        vus_destroy(ctx);
        return NULL;
    }
    vus_cfg_finalize(ctx); /* vus_realize() without the listening socket */
    ctx->realized = true;
    return ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2 || size - 1 > MAX_STREAM)
        return 0;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return 0;
    int sndbuf = 256 * 1024;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    struct doorbell d = {0};
    struct vus_ctx *ctx = NULL;
    if (server_stream_send(sv[1], data + 1, size - 1, data[0] & 3u) < 0 ||
        (ctx = make_device(&d, data[0] >> 2)) == NULL) {
        close(sv[0]);
        close(sv[1]);
        return 0;
    }
    shutdown(sv[1], SHUT_WR);
    pthread_t reader;
    pthread_create(&reader, NULL, server_stream_drain, &sv[1]);
    ctx->conn_fd = sv[0]; /* as vus_tr_accept() would; the library closes it */
    ctx->cfg.io_timeout_ms = 1000;
    /* Every message consumes at least a header, so this ends at EOF. */
    while (vus_handle_main(ctx) > 0) {
    }
    pthread_join(reader, NULL);
    close(sv[1]);
    vus_destroy(ctx);
    return 0;
}
