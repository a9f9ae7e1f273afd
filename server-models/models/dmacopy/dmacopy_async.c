/*
 * dmacopy's engine for --dma-mode async: the same work as the synchronous
 * process_ring() (fetch a descriptor, copy in COPY_BUF pieces, write the
 * completion record, advance TAIL, interrupt after the batch), as a state
 * machine that submits one transfer at a time with vus_dma_submit() and moves
 * on in its completion callback. The doorbell's REGION_WRITE only starts it,
 * so its reply goes out at once and the server loop keeps serving the
 * client (STATUS.BUSY says the engine runs) while the DMA replies come in.
 *
 * A transfer may complete inside vus_dma_submit() (mmap()ed memory, or a
 * failure): the callback then only records the result and run() loops, so
 * a long ring does not nest callbacks.
 *
 * Cancellation (DEVICE_RESET or DMA_UNMAP of a range in use): the library
 * calls the device's interrupt callback, which sets d->cancel and STATUS
 * ERROR with ECANCELED, then completes our transfer with -ECANCELED. The
 * engine stops at once: no record, TAIL stays at the descriptor, no
 * interrupt.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dmacopy.h"

enum {
    ENG_IDLE,   /* nothing to do */
    ENG_NEXT,   /* pick the descriptor at TAIL, or finish the batch */
    ENG_DESC,   /* fetching the descriptor */
    ENG_READ,   /* reading a piece of the source into d->buf */
    ENG_WRITE,  /* writing it to the destination */
    ENG_RECORD, /* writing the completion record */
};

static void run(struct dmacopy *d);

static void on_done(void *arg, int result) {
    struct dmacopy *d = arg;
    d->eng.waiting = false;
    d->eng.result = result;
    if (!d->eng.in_run) {
        run(d);
    }
}

static void submit(struct dmacopy *d, int state, enum vus_dma_dir dir, uint64_t addr, void *buf,
                   size_t len) {
    d->eng.state = state;
    if (dir == VUS_DMA_WRITE && dmacopy_write_unmarked(d, addr, buf, len)) {
        d->eng.waiting = false; /* --mig-bug unmarked-write: stored already */
        d->eng.result = 0;
        return;
    }
    d->eng.waiting = true;
    int ret = vus_dma_submit(d->ctx, dir, addr, buf, len, on_done, d);
    if (ret < 0) {
        d->eng.waiting = false;
        d->eng.result = ret;
    }
}

static bool cancelled(struct dmacopy *d, int result) {
    pthread_mutex_lock(&d->lock);
    bool c = d->cancel || result == -ECANCELED;
    pthread_mutex_unlock(&d->lock);
    return c;
}

/* ENG_NEXT: the descriptor at TAIL, or the end of the batch. */
static void next_desc(struct dmacopy *d) {
    pthread_mutex_lock(&d->lock);
    bool stop = d->tail == d->head || (d->status & STATUS_ERROR) || d->cancel;
    uint64_t addr = d->ring_base + (uint64_t)d->tail * DESC_SIZE;
    d->eng.index = d->tail;
    d->eng.size = d->ring_size;
    if (stop) {
        d->status &= ~STATUS_BUSY;
        d->cancel = false;
    } else {
        d->status |= STATUS_BUSY;
        d->mig.inflight = true;
    }
    pthread_mutex_unlock(&d->lock);
    if (stop) {
        bool irq = d->eng.want_irq;
        d->eng.state = ENG_IDLE;
        d->eng.want_irq = false;
        if (irq) {
            dmacopy_raise_irq(d);
        }
        return;
    }
    d->eng.err = 0;
    d->eng.copied = 0;
    submit(d, ENG_DESC, VUS_DMA_READ, addr, &d->eng.ds, sizeof(d->eng.ds));
}

/* The descriptor is done (well or not): TAIL and COMPLETED move on. */
static void finish_desc(struct dmacopy *d) {
    pthread_mutex_lock(&d->lock);
    d->tail = d->eng.size != 0 ? (d->eng.index + 1) % d->eng.size : 0;
    d->completed++;
    d->mig.inflight = false;
    pthread_mutex_unlock(&d->lock);
    if (d->eng.err < 0) {
        fprintf(stderr, "dmacopy: descriptor %u failed: %s\n", d->eng.index, strerror(-d->eng.err));
        dmacopy_set_error(d, STATUS_ERROR, -d->eng.err);
    }
    d->eng.state = ENG_NEXT;
}

static void write_record(struct dmacopy *d) {
    if (d->eng.ds.completion == 0) {
        finish_desc(d);
        return;
    }
    pthread_mutex_lock(&d->lock);
    d->eng.rec = (struct completion_record){.status = (uint32_t)-d->eng.err,
                                            .length = d->eng.copied,
                                            .seq = (uint64_t)d->completed + 1};
    pthread_mutex_unlock(&d->lock);
    submit(d, ENG_RECORD, VUS_DMA_WRITE, d->eng.ds.completion, &d->eng.rec, sizeof(d->eng.rec));
}

static void copy_next(struct dmacopy *d) {
    const struct desc *ds = &d->eng.ds;
    if (d->eng.copied == ds->len) {
        write_record(d);
        return;
    }
    uint32_t left = ds->len - d->eng.copied;
    d->eng.chunk = left < COPY_BUF ? left : COPY_BUF;
    submit(d, ENG_READ, VUS_DMA_READ, ds->src + d->eng.copied, d->buf, d->eng.chunk);
}

/* Takes the result of the transfer that just completed and starts the next
 * one (or goes idle). */
/* --migration asked the engine to stop: the transfer that just completed is
 * its safe point. The descriptor at TAIL stays in flight (restarted from its
 * fetch when the engine runs again: a copy is idempotent). */
static void pause_engine(struct dmacopy *d) {
    pthread_mutex_lock(&d->lock);
    d->status &= ~STATUS_BUSY;
    pthread_mutex_unlock(&d->lock);
    bool irq = d->eng.want_irq;
    d->eng.state = ENG_IDLE;
    d->eng.want_irq = false;
    if (irq) {
        dmacopy_raise_irq(d); /* for the descriptors the batch completed */
    }
    dmacopy_mig_engine_idle(d);
}

static void step(struct dmacopy *d) {
    int state = d->eng.state;
    int result = d->eng.result;
    d->eng.result = 0;
    pthread_mutex_lock(&d->lock);
    bool stop = dmacopy_mig_must_stop(d);
    pthread_mutex_unlock(&d->lock);
    if (stop) {
        pause_engine(d);
        return;
    }
    if (state != ENG_NEXT && cancelled(d, result)) {
        pthread_mutex_lock(&d->lock);
        d->cancel = true; /* next_desc ends the batch and clears it */
        pthread_mutex_unlock(&d->lock);
        d->eng.want_irq = false;
        d->eng.state = ENG_NEXT;
        return;
    }
    switch (state) {
    case ENG_NEXT:
        next_desc(d);
        return;
    case ENG_DESC:
        if (result < 0) {
            d->eng.err = result; /* no descriptor, so no record */
            finish_desc(d);
            return;
        }
        d->eng.want_irq = d->eng.want_irq || (d->eng.ds.flags & DESC_F_IRQ);
        if (d->eng.ds.len > MAX_COPY) {
            d->eng.err = -EINVAL;
            write_record(d);
            return;
        }
        copy_next(d);
        return;
    case ENG_READ:
        if (result < 0) {
            d->eng.err = result;
            write_record(d);
            return;
        }
        submit(d, ENG_WRITE, VUS_DMA_WRITE, d->eng.ds.dst + d->eng.copied, d->buf, d->eng.chunk);
        return;
    case ENG_WRITE:
        if (result < 0) {
            d->eng.err = result;
            write_record(d);
            return;
        }
        d->eng.copied += d->eng.chunk;
        copy_next(d);
        return;
    case ENG_RECORD:
        d->eng.err = d->eng.err < 0 ? d->eng.err : result;
        finish_desc(d);
        return;
    default:
        d->eng.state = ENG_IDLE;
        return;
    }
}

static void run(struct dmacopy *d) {
    d->eng.in_run = true;
    while (!d->eng.waiting && d->eng.state != ENG_IDLE) {
        step(d);
    }
    d->eng.in_run = false;
}

void dmacopy_async_doorbell(struct dmacopy *d) {
    pthread_mutex_lock(&d->lock);
    bool stop = dmacopy_mig_must_stop(d);
    pthread_mutex_unlock(&d->lock);
    if (d->eng.state != ENG_IDLE || stop) {
        return; /* the running engine reads HEAD again after each descriptor */
    }
    d->eng.state = ENG_NEXT;
    d->eng.result = 0;
    d->eng.want_irq = false;
    run(d);
}
