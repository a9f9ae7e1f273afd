/*
 * dmacopy's shared parts: register and descriptor layouts, the device state,
 * and what the two engines (synchronous in dmacopy.c, asynchronous in
 * dmacopy_async.c) share.
 */
#ifndef DMACOPY_H
#define DMACOPY_H

#include <pthread.h>

#include "model_cli.h"

#define BAR0_SIZE 0x1000u
#define BAR2_SIZE 0x1000u
#define MSIX_VECTORS 4u

#define REG_RING_BASE_LO 0x00u
#define REG_RING_BASE_HI 0x04u
#define REG_RING_SIZE 0x08u
#define REG_HEAD 0x10u
#define REG_TAIL 0x14u
#define REG_STATUS 0x18u
#define REG_INT_CTRL 0x1cu
#define REG_COMPLETED 0x20u
#define REG_INT_STATUS 0x24u
#define REG_ID 0x28u

#define ID_VALUE 0x52434443u /* "CDCR" */
#define STATUS_BUSY 0x1u
#define STATUS_ERROR 0x2u
#define STATUS_IRQ_FAILED 0x4u
#define INT_MODE_MASK 0x3u
#define INT_NONE 0u
#define INT_INTX 1u
#define INT_MSI 2u
#define INT_MSIX 3u

#define DESC_SIZE 32u
#define DESC_F_IRQ 0x1u
#define MAX_RING 65536u
#define MAX_COPY (64u * 1024u * 1024u)
#define COPY_BUF (1024u * 1024u)

struct desc {
    uint64_t src;
    uint64_t dst;
    uint32_t len;
    uint32_t flags;
    uint64_t completion;
};

struct completion_record {
    uint32_t status; /* 0 or an errno */
    uint32_t length; /* bytes copied */
    uint64_t seq;    /* COMPLETED after this descriptor */
};

/* --migration's device state (dmacopy_migration.c; server-models/README.md
 * "dmacopy", "Migration"): a 12-byte header (magic, version, total length)
 * and the registers, all little-endian u32/u64. */
#define MIG_STATE_MAGIC 0x534d4344u /* "DCMS" */
#define MIG_STATE_VERSION 1u
#define MIG_STATE_LEN 56u

enum dmacopy_mig_bug {
    MIG_BUG_NONE,
    MIG_BUG_UNMARKED_WRITE, /* engine writes to fd windows through a pointer, unmarked */
    MIG_BUG_DROP_INFLIGHT,  /* at stop, the descriptor in flight is counted done */
};

struct dmacopy {
    struct vus_ctx *ctx;
    pthread_mutex_t lock; /* registers; the worker and the loop thread share them */
    pthread_cond_t kick;
    pthread_t worker;
    bool after_reply;
    bool work;
    bool quit;
    uint32_t reset_int_ctrl;
    uint64_t ring_base;
    uint32_t ring_size;
    uint32_t head;
    uint32_t tail;
    uint32_t status;
    uint32_t int_ctrl;
    uint32_t completed;
    uint32_t int_status;
    uint8_t *buf;
    /* Set by the DMA interrupt callback (DEVICE_RESET or DMA_UNMAP during a
     * DMA): the engine stops without a record; cleared when it has. */
    bool cancel;
    bool async; /* --dma-mode async: the state machine of dmacopy_async.c */
    struct dmacopy_async_engine {
        int state;      /* enum in dmacopy_async.c */
        bool in_run;    /* completions that come back inside a submit wait */
        bool waiting;   /* a submitted transfer has not completed yet */
        int result;     /* of the last completed transfer */
        uint32_t index; /* descriptor in progress */
        uint32_t size;  /* RING_SIZE when it started */
        struct desc ds;
        uint32_t copied;
        uint32_t chunk;
        int err; /* the descriptor's failure, 0 while it goes well */
        bool want_irq;
        struct completion_record rec;
    } eng;
    /* --migration (dmacopy_migration.c). Guarded by lock. */
    struct dmacopy_mig {
        bool on;
        enum dmacopy_mig_bug bug;
        bool quiesce_never; /* the quiesce callback says EBUSY and never finishes */
        bool running;       /* migration state RUNNING or PRE_COPY: the engine may run */
        bool paused;        /* asked to quiesce: no new DMA until unquiesced */
        bool busy;          /* the worker is inside process_ring() */
        bool q_pending;     /* answered EBUSY: vus_device_quiesced() at the next safe point */
        bool inflight;      /* the descriptor at TAIL has started and not completed */
        uint8_t out[MIG_STATE_LEN];
        size_t out_len, out_at;
        uint8_t in[MIG_STATE_LEN];
        size_t in_len;
    } mig;
};

/* dmacopy_migration.c */
int dmacopy_mig_option(struct dmacopy *d, const char *name, const char *value);
int dmacopy_mig_setup(struct dmacopy *d);
/* The engine must not start (more) DMA now: stopped by migration or, for
 * the worker and the async engine, asked to quiesce. Lock held. */
bool dmacopy_mig_must_stop(const struct dmacopy *d);
/* The engine reached a safe point and stopped: finishes an EBUSY quiesce. */
void dmacopy_mig_engine_idle(struct dmacopy *d);
/* A descriptor's DMA write: through the library, or (--mig-bug
 * unmarked-write) stored through vus_dma_ptr into an fd window unmarked. */
int dmacopy_write(struct dmacopy *d, uint64_t addr, const void *buf, size_t len);
/* The unmarked-write bug's store, for the async engine: true when done. */
bool dmacopy_write_unmarked(struct dmacopy *d, uint64_t addr, const void *buf, size_t len);
/* Sync engine (dmacopy.c), for a restart inside the RUNNING transition. */
void dmacopy_process_ring(struct dmacopy *d);

/* STATUS.ERROR (or another flag) with err in bits 31:16 for ERROR. */
void dmacopy_set_error(struct dmacopy *d, uint32_t flag, int err);
/* INT_STATUS and the interrupt of INT_CTRL's mode, after a batch. */
void dmacopy_raise_irq(struct dmacopy *d);
/* A write to HEAD in async mode: starts the engine unless it runs. */
void dmacopy_async_doorbell(struct dmacopy *d);

#endif /* DMACOPY_H */
