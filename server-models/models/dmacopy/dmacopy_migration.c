/*
 * dmacopy --migration: migration v2 (STOP_COPY, PRE_COPY), dirty page
 * logging of its writes to fd-backed windows, and quiesce, through the
 * server library. The device state is the register file plus "a descriptor
 * had started at TAIL" (server-models/README.md, "dmacopy", has the format).
 *
 * Safe points: the synchronous engine runs inside REGION_WRITE, so it is
 * idle whenever a command that quiesces arrives. The worker
 * (--dma-after-reply) and the async engine (--dma-mode async) stop between
 * transfers: the quiesce callback says EBUSY while they run, and they call
 * vus_device_quiesced() when they stop. The descriptor they were in stays at
 * TAIL and is fetched and copied again from the start when the engine runs
 * next, on this server or on the destination (a copy is idempotent).
 *
 * The buggy variants (--mig-bug) are what real devices have got wrong:
 * unmarked-write stores into fd windows through vus_dma_ptr() without
 * vus_dma_mark_dirty(), so the pages are missing from the dirty report;
 * drop-inflight counts the descriptor in flight as done when the device
 * stops (TAIL and COMPLETED advance, no data, no record), so the destination
 * never runs it. --quiesce-never answers EBUSY and never finishes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dmacopy.h"

int dmacopy_mig_option(struct dmacopy *d, const char *name, const char *value) {
    if (strcmp(name, "migration") == 0) {
        d->mig.on = true;
        return 0;
    }
    if (strcmp(name, "quiesce-never") == 0) {
        d->mig.quiesce_never = true;
        return 0;
    }
    if (strcmp(name, "mig-bug") == 0 && strcmp(value, "unmarked-write") == 0) {
        d->mig.bug = MIG_BUG_UNMARKED_WRITE;
        return 0;
    }
    if (strcmp(name, "mig-bug") == 0 && strcmp(value, "drop-inflight") == 0) {
        d->mig.bug = MIG_BUG_DROP_INFLIGHT;
        return 0;
    }
    return -1;
}

bool dmacopy_mig_must_stop(const struct dmacopy *d) {
    if (!d->mig.on) {
        return false;
    }
    if (!d->mig.running) {
        return true;
    }
    /* The synchronous engine never runs while a command is handled. */
    return (d->after_reply || d->async) && d->mig.paused;
}

void dmacopy_mig_engine_idle(struct dmacopy *d) {
    pthread_mutex_lock(&d->lock);
    bool finish = d->mig.q_pending && !d->mig.quiesce_never;
    d->mig.q_pending = false;
    pthread_mutex_unlock(&d->lock);
    if (finish) {
        vus_device_quiesced(d->ctx, 0);
    }
}

bool dmacopy_write_unmarked(struct dmacopy *d, uint64_t addr, const void *buf, size_t len) {
    void *p = NULL;
    if (d->mig.bug != MIG_BUG_UNMARKED_WRITE ||
        vus_dma_ptr(d->ctx, addr, len, VU_DMA_MAP_F_WRITE, &p) < 0) {
        return false;
    }
    memcpy(p, buf, len); /* the bug: no vus_dma_mark_dirty() */
    return true;
}

int dmacopy_write(struct dmacopy *d, uint64_t addr, const void *buf, size_t len) {
    if (dmacopy_write_unmarked(d, addr, buf, len)) {
        return 0;
    }
    return vus_dma_write(d->ctx, addr, buf, len);
}

/* ---- Quiesce ------------------------------------------------------------ */

static int on_quiesce(void *priv) {
    struct dmacopy *d = priv;
    pthread_mutex_lock(&d->lock);
    d->mig.paused = true;
    bool running = (d->after_reply && d->mig.busy) || (d->async && d->eng.state != 0 /* IDLE */);
    /* --quiesce-never: busy like the correct device, but it never says it
     * stopped (dmacopy_mig_engine_idle); an idle engine still quiesces at
     * once, so the connection's own DMA_MAP goes through. */
    bool busy = running;
    d->mig.q_pending = busy;
    pthread_mutex_unlock(&d->lock);
    return busy ? -EBUSY : 0;
}

static void on_unquiesce(void *priv) {
    struct dmacopy *d = priv;
    pthread_mutex_lock(&d->lock);
    d->mig.paused = false;
    bool run = d->mig.running && d->tail != d->head;
    if (run && d->after_reply) {
        d->work = true;
        pthread_cond_signal(&d->kick);
    }
    pthread_mutex_unlock(&d->lock);
    if (run && d->async) {
        dmacopy_async_doorbell(d); /* restarts the descriptor left in flight */
    }
}

/* ---- State format --------------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v) {
    for (unsigned i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Lock held. */
static void save_state(struct dmacopy *d) {
    uint8_t *o = d->mig.out;
    memset(o, 0, MIG_STATE_LEN);
    put32(o + 0, MIG_STATE_MAGIC);
    put32(o + 4, MIG_STATE_VERSION);
    put32(o + 8, MIG_STATE_LEN);
    put32(o + 12, (uint32_t)d->ring_base);
    put32(o + 16, (uint32_t)(d->ring_base >> 32));
    put32(o + 20, d->ring_size);
    put32(o + 24, d->head);
    put32(o + 28, d->tail);
    put32(o + 32, d->status & ~STATUS_BUSY);
    put32(o + 36, d->int_ctrl);
    put32(o + 40, d->completed);
    put32(o + 44, d->int_status);
    put32(o + 48, d->mig.inflight ? 1u : 0u);
    d->mig.out_len = MIG_STATE_LEN;
    d->mig.out_at = 0;
}

/* The ring registers must make sense before the engine may use them. */
static int check_ring(const uint8_t *in) {
    uint32_t size = get32(in + 20), head = get32(in + 24), tail = get32(in + 28);
    if (size > MAX_RING || (size != 0 && (head >= size || tail >= size)) ||
        (size == 0 && (head != 0 || tail != 0)) || get32(in + 48) > 1) {
        fprintf(stderr,
                "dmacopy: migration data refused: ring size %u head %u tail %u in-flight %u "
                "are not a state this device can be in\n",
                size, head, tail, get32(in + 48));
        return -EINVAL;
    }
    return 0;
}

/* Lock held. */
static int load_state(struct dmacopy *d) {
    const uint8_t *in = d->mig.in;
    if (d->mig.in_len != MIG_STATE_LEN) {
        fprintf(stderr, "dmacopy: migration data incomplete: %zu of %u bytes\n", d->mig.in_len,
                MIG_STATE_LEN);
        return -EINVAL;
    }
    int ret = check_ring(in);
    if (ret < 0) {
        return ret;
    }
    d->ring_base = (uint64_t)get32(in + 12) | (uint64_t)get32(in + 16) << 32;
    d->ring_size = get32(in + 20);
    d->head = get32(in + 24);
    d->tail = get32(in + 28);
    d->status = get32(in + 32) & ~STATUS_BUSY;
    d->int_ctrl = get32(in + 36) & INT_MODE_MASK;
    d->completed = get32(in + 40);
    d->int_status = get32(in + 44);
    d->mig.inflight = get32(in + 48) != 0;
    return 0;
}

/* The header is checked as soon as it is in: a stream from another device
 * or version is refused at its first chunk. */
static int check_header(const uint8_t *in) {
    if (get32(in) != MIG_STATE_MAGIC) {
        fprintf(stderr, "dmacopy: migration data refused: bad magic %#x (want %#x)\n", get32(in),
                MIG_STATE_MAGIC);
        return -EINVAL;
    }
    if (get32(in + 4) != MIG_STATE_VERSION) {
        fprintf(stderr, "dmacopy: migration data refused: version %u (this device reads %u)\n",
                get32(in + 4), MIG_STATE_VERSION);
        return -EINVAL;
    }
    if (get32(in + 8) != MIG_STATE_LEN) {
        fprintf(stderr, "dmacopy: migration data refused: length %u (version %u is %u bytes)\n",
                get32(in + 8), MIG_STATE_VERSION, MIG_STATE_LEN);
        return -EINVAL;
    }
    return 0;
}

static ssize_t read_data(void *priv, void *buf, size_t len) {
    struct dmacopy *d = priv;
    pthread_mutex_lock(&d->lock);
    size_t n = d->mig.out_len - d->mig.out_at;
    n = n < len ? n : len;
    memcpy(buf, d->mig.out + d->mig.out_at, n);
    d->mig.out_at += n;
    pthread_mutex_unlock(&d->lock);
    return (ssize_t)n;
}

static ssize_t write_data(void *priv, const void *buf, size_t len) {
    struct dmacopy *d = priv;
    int ret = 0;
    pthread_mutex_lock(&d->lock);
    if (len > MIG_STATE_LEN - d->mig.in_len) {
        fprintf(stderr, "dmacopy: migration data refused: %zu bytes after %zu, more than %u\n", len,
                d->mig.in_len, MIG_STATE_LEN);
        ret = -EINVAL;
    } else {
        uint8_t tmp[MIG_STATE_LEN];
        memcpy(tmp, d->mig.in, d->mig.in_len);
        memcpy(tmp + d->mig.in_len, buf, len);
        ret = d->mig.in_len + len >= 12 ? check_header(tmp) : 0;
        if (ret == 0) {
            memcpy(d->mig.in + d->mig.in_len, buf, len);
            d->mig.in_len += len;
        }
    }
    pthread_mutex_unlock(&d->lock);
    return ret < 0 ? ret : (ssize_t)len;
}

/* ---- Transitions ---------------------------------------------------------- */

/* Lock held. The bug: the descriptor the engine stopped in is "done". */
static void drop_inflight(struct dmacopy *d) {
    if (d->mig.bug != MIG_BUG_DROP_INFLIGHT || !d->mig.inflight || d->ring_size == 0) {
        return;
    }
    fprintf(stderr, "dmacopy: --mig-bug drop-inflight: descriptor %u counted done at stop\n",
            d->tail);
    d->tail = (d->tail + 1) % d->ring_size;
    d->completed++;
    d->mig.inflight = false;
}

static int transition(void *priv, enum vu_mig_state from, enum vu_mig_state to) {
    struct dmacopy *d = priv;
    bool run = to == VU_MIG_STATE_RUNNING || to == VU_MIG_STATE_PRE_COPY;
    int ret = 0;
    pthread_mutex_lock(&d->lock);
    bool was = d->mig.running;
    if (from == VU_MIG_STATE_RESUMING) {
        ret = load_state(d);
    }
    if (ret == 0) {
        d->mig.running = run;
        if (was && !run) {
            drop_inflight(d);
        }
        if (to == VU_MIG_STATE_STOP_COPY) {
            save_state(d);
        } else if (to == VU_MIG_STATE_PRE_COPY) {
            d->mig.out_len = d->mig.out_at = 0; /* everything goes in STOP_COPY */
        } else if (to == VU_MIG_STATE_RESUMING) {
            d->mig.in_len = 0;
        }
    }
    bool kick = ret == 0 && run && !was && !d->after_reply && !d->async;
    pthread_mutex_unlock(&d->lock);
    if (kick) {
        /* The synchronous engine restarts inside this SET, as it runs inside
         * a doorbell's REGION_WRITE: the client serves our DMA meanwhile. */
        dmacopy_process_ring(d);
    }
    return ret;
}

int dmacopy_mig_setup(struct dmacopy *d) {
    d->mig.running = true;
    if (!d->mig.on) {
        return 0;
    }
    static const struct vus_migration_ops ops = {transition, read_data, write_data};
    int ret = vus_setup_migration(d->ctx, VU_MIGRATION_STOP_COPY | VU_MIGRATION_PRE_COPY, &ops, d);
    ret = ret ? ret : vus_setup_dirty_logging(d->ctx);
    if (ret == 0) {
        vus_set_quiesce_cb(d->ctx, on_quiesce, d);
        vus_set_unquiesce_cb(d->ctx, on_unquiesce, d);
    }
    return ret;
}
