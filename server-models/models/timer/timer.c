/*
 * timer: a device with its own wall-clock timer, the bundled stand-in for
 * servers such as libvfio-user's `server` sample (a watchdog, a periodic
 * interrupt): what it does when the timer fires depends on wall time, not
 * on anything the client sent, and while the timer runs it sleeps in an
 * untimed wait that /proc cannot tell from idle.
 * BAR0 (4 KiB, memory):
 *   0x00 u32 ARM: N (1..60000) arms a one-shot timer N ms of wall time from
 *        now, 0 disarms it; anything larger is refused (EINVAL)
 *   0x08 u64 DMA address   0x10 u32 DMA length (at most 0x100; more: EINVAL)
 *   0x18 u32 FIRED: expiries handled so far (read-only)
 *   0x1c u32 STATUS: 0, or the errno of the last expiry's DMA (read-only)
 * On expiry: DMA_WRITE of LENGTH bytes to ADDRESS (byte i = i & 0xff), then
 * FIRED and STATUS, then INTx. DEVICE_RESET disarms and clears everything.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "model_cli.h"

#define BAR0_SIZE 0x1000u
#define REG_ARM 0x00u
#define REG_ADDR 0x08u
#define REG_LEN 0x10u
#define REG_FIRED 0x18u
#define REG_STATUS 0x1cu
#define MAX_ARM_MS 60000u
#define MAX_DMA_LEN 0x100u

struct timer_dev {
    struct vus_ctx *ctx;
    int tfd;
    uint8_t bar[BAR0_SIZE];
};

static uint64_t get(const struct timer_dev *t, unsigned off, size_t size) {
    uint64_t v = 0;
    memcpy(&v, t->bar + off, size);
    return v;
}

static void put32(struct timer_dev *t, unsigned off, uint32_t v) {
    memcpy(t->bar + off, &v, sizeof(v));
}

static int arm(struct timer_dev *t, uint32_t ms) {
    struct itimerspec when = {
        .it_value = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000}};
    return timerfd_settime(t->tfd, 0, &when, NULL) < 0 ? -errno : 0;
}

/* The timer fired: the device's own work, begun by nobody's message. */
static void on_expiry(void *arg) {
    struct timer_dev *t = arg;
    uint64_t expiries;
    if (read(t->tfd, &expiries, sizeof(expiries)) != (ssize_t)sizeof(expiries)) {
        return; /* disarmed between the wake-up and the read */
    }
    uint8_t data[MAX_DMA_LEN];
    for (unsigned i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)i;
    }
    uint64_t len = get(t, REG_LEN, 4);
    int ret = vus_dma_write(t->ctx, get(t, REG_ADDR, 8), data, (size_t)len);
    put32(t, REG_FIRED, (uint32_t)get(t, REG_FIRED, 4) + 1);
    put32(t, REG_STATUS, (uint32_t)-ret);
    int irq = vus_irq_trigger(t->ctx, VU_PCI_INTX_IRQ, 0);
    fprintf(stderr, "timer: fired: DMA %llu bytes -> status %d, INTx -> %d\n",
            (unsigned long long)len, -ret, irq);
}

static ssize_t bar0_write(struct timer_dev *t, uint64_t offset, const void *buf, size_t count) {
    if (offset < REG_FIRED + 8 && offset + count > REG_FIRED) {
        return -EINVAL; /* FIRED and STATUS are read-only */
    }
    uint8_t old[BAR0_SIZE];
    memcpy(old, t->bar, sizeof(old));
    memcpy(t->bar + offset, buf, count);
    if (get(t, REG_LEN, 4) > MAX_DMA_LEN || get(t, REG_ARM, 4) > MAX_ARM_MS) {
        memcpy(t->bar, old, sizeof(old));
        return -EINVAL;
    }
    if (offset < REG_ARM + 4 && offset + count > REG_ARM) {
        int ret = arm(t, (uint32_t)get(t, REG_ARM, 4));
        if (ret < 0) {
            return ret;
        }
    }
    return (ssize_t)count;
}

static ssize_t bar0_access(void *priv, unsigned region, uint64_t offset, void *buf, size_t count,
                           bool is_write) {
    struct timer_dev *t = priv;
    (void)region;
    if (is_write) {
        return bar0_write(t, offset, buf, count);
    }
    memcpy(buf, t->bar + offset, count);
    return (ssize_t)count;
}

static int on_reset(void *priv, enum vus_reset_reason why) {
    struct timer_dev *t = priv;
    if (why == VUS_RESET_DEVICE) {
        memset(t->bar, 0, sizeof(t->bar));
        return arm(t, 0);
    }
    return 0;
}

static int setup(struct timer_dev *t) {
    const struct vus_pci_id id = {.vendor_id = 0x5243, .device_id = 0x0006, .class_code = 0xff0000};
    int ret = vus_pci_init(t->ctx, &id);
    if (ret == 0) {
        ret = vus_setup_bar(t->ctx, 0, BAR0_SIZE, VUS_BAR_MEM32, bar0_access, t);
    }
    if (ret == 0) {
        ret = vus_setup_irq(t->ctx, VU_PCI_INTX_IRQ, 1);
    }
    return ret;
}

int main(int argc, char **argv) {
    struct model_opts o;
    int pr = model_parse_args(argc, argv,
                              "A device with its own wall-clock timer: DMA and INTx on expiry.",
                              NULL, NULL, NULL, &o);
    if (pr != 0) {
        return pr > 0 ? 0 : 2;
    }
    if (!model_dma_mode_ok(&o, argv[0], false)) {
        return 2;
    }
    struct vus_config cfg = {
        .socket_path = o.socket_path,
        .name = "timer",
        .dma_mode = o.dma_mode,
        .dma_queue_limit = o.dma_queue_limit,
        .verbose = o.verbose,
        .io_timeout_ms = o.io_timeout_ms,
        .no_idle_announce = o.no_idle_announce,
        .idle_announce_lie = o.idle_announce_lie,
        .libvfio_user_irq_flags = true,
    };
    static struct timer_dev t;
    t.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (t.tfd < 0) {
        perror("timer: timerfd_create");
        return 1;
    }
    t.ctx = vus_create(&cfg);
    if (t.ctx == NULL) {
        perror("timer: vus_create");
        return 1;
    }
    int ret = setup(&t);
    if (ret < 0) {
        fprintf(stderr, "timer: device setup failed: %s\n", strerror(-ret));
        vus_destroy(t.ctx);
        return 1;
    }
    vus_set_reset_cb(t.ctx, on_reset, &t);
    int rc = model_serve_with_fd(t.ctx, t.tfd, on_expiry, &t);
    vus_destroy(t.ctx);
    close(t.tfd);
    return rc;
}
