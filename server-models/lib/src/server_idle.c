/*
 * The idle announcement (vfio_user/idle_announce.h): the page the harness
 * that started us offers, mapped at vus_create(); the message counts; the
 * announcement before the loop blocks and its retraction on wake.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server_private.h"
#include "vfio_user/idle_announce.h"

/* The descriptor named by the environment, if it is a page-sized memfd we
 * may map; -1 otherwise (a malformed variable is no offer). */
static int offered_fd(void) {
    const char *v = getenv(VU_IDLE_ANNOUNCE_ENV);
    if (v == NULL || v[0] < '0' || v[0] > '9') {
        return -1;
    }
    char *end;
    long fd = strtol(v, &end, 10);
    struct stat st;
    if (*end != '\0' || fd < 0 || fd > 65535 || fstat((int)fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        st.st_size < (off_t)VU_IDLE_PAGE_SIZE) {
        return -1;
    }
    return (int)fd;
}

void vus_idle_open(struct vus_ctx *ctx) {
    if (getenv(VU_IDLE_ANNOUNCE_ENV) == NULL) {
        return; /* not offered (and the environment is left alone) */
    }
    int fd = offered_fd();
    /* Ours alone: a device's child processes get neither the page nor the
     * variable. */
    unsetenv(VU_IDLE_ANNOUNCE_ENV);
    if (fd < 0) {
        return;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (ctx->cfg.no_idle_announce) {
        close(fd);
        return;
    }
    void *p = mmap(NULL, VU_IDLE_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        return;
    }
    ctx->idle_page = p;
    __atomic_store_n(&ctx->idle_page->seq, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&ctx->idle_page->pid, (uint32_t)getpid(), __ATOMIC_RELAXED);
    __atomic_store_n(&ctx->idle_page->version, VU_IDLE_VERSION, __ATOMIC_RELAXED);
    __atomic_store_n(&ctx->idle_page->magic, VU_IDLE_MAGIC, __ATOMIC_RELEASE);
}

void vus_idle_close(struct vus_ctx *ctx) {
    if (ctx->idle_page != NULL) {
        __atomic_store_n(&ctx->idle_page->magic, 0, __ATOMIC_RELEASE);
        munmap(ctx->idle_page, VU_IDLE_PAGE_SIZE);
        ctx->idle_page = NULL;
    }
}

void vus_idle_announce_off(struct vus_ctx *ctx) {
    vus_idle_retract(ctx);
    vus_idle_close(ctx);
}

bool vus_idle_announcing(const struct vus_ctx *ctx) {
    return ctx->idle_page != NULL;
}

void vus_idle_count_in(struct vus_ctx *ctx) {
    __atomic_fetch_add(&ctx->msgs_in, 1, __ATOMIC_RELAXED);
}

void vus_idle_count_out(struct vus_ctx *ctx) {
    __atomic_fetch_add(&ctx->msgs_out, 1, __ATOMIC_RELAXED);
}

void vus_idle_reset_counts(struct vus_ctx *ctx) {
    __atomic_store_n(&ctx->msgs_in, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&ctx->msgs_out, 0, __ATOMIC_RELAXED);
}

/* Sequentially consistent: a retraction by a sending thread and the loop's
 * announcement must not miss each other (vus_idle_before_send). */
void vus_idle_retract(struct vus_ctx *ctx) {
    struct vu_idle_page *pg = ctx->idle_page;
    if (pg == NULL) {
        return;
    }
    uint64_t seq = __atomic_load_n(&pg->seq, __ATOMIC_SEQ_CST);
    if (seq & 1) {
        __atomic_store_n(&pg->seq, seq + 1, __ATOMIC_SEQ_CST);
    }
}

/* The loop's announcement speaks for the whole process only while nothing
 * else in it talks to the client. A device that sends from a thread of its
 * own (DMA from a worker) without having called vus_idle_announce_off()
 * breaks that: the first message such a thread sends withdraws the
 * announcement for good, before it leaves, and the harness's /proc proof
 * decides from then on. That first message may still meet an announcement
 * the harness believed: the harness catches it as a broken promise (the
 * run fails, naming it), never as a pass. */
void vus_idle_before_send(struct vus_ctx *ctx) {
    if (ctx->idle_page == NULL || __atomic_load_n(&ctx->idle_withdrawn, __ATOMIC_RELAXED)) {
        return;
    }
    pid_t loop = __atomic_load_n(&ctx->idle_loop_tid, __ATOMIC_RELAXED);
    if (loop == 0 || loop == gettid()) {
        return;
    }
    __atomic_store_n(&ctx->idle_withdrawn, true, __ATOMIC_SEQ_CST);
    vus_idle_retract(ctx);
}

void vus_idle_announce(struct vus_ctx *ctx) {
    struct vu_idle_page *pg = ctx->idle_page;
    if (pg == NULL || __atomic_load_n(&ctx->idle_withdrawn, __ATOMIC_SEQ_CST)) {
        return;
    }
    if (__atomic_load_n(&ctx->idle_loop_tid, __ATOMIC_RELAXED) == 0) {
        __atomic_store_n(&ctx->idle_loop_tid, gettid(), __ATOMIC_RELAXED);
    }
    vus_idle_retract(ctx);
    __atomic_store_n(&pg->consumed, __atomic_load_n(&ctx->msgs_in, __ATOMIC_RELAXED),
                     __ATOMIC_RELAXED);
    __atomic_store_n(&pg->sent, __atomic_load_n(&ctx->msgs_out, __ATOMIC_RELAXED),
                     __ATOMIC_RELAXED);
    uint64_t seq = __atomic_load_n(&pg->seq, __ATOMIC_RELAXED);
    __atomic_store_n(&pg->seq, seq + 1, __ATOMIC_SEQ_CST);
    /* A sender that withdrew while we announced: its retraction may have
     * come before our store; ours undoes the announcement then. */
    if (__atomic_load_n(&ctx->idle_withdrawn, __ATOMIC_SEQ_CST)) {
        vus_idle_retract(ctx);
    }
}

void vus_idle_lie(struct vus_ctx *ctx) {
    if (!ctx->cfg.idle_announce_lie || ctx->idle_page == NULL) {
        return;
    }
    vus_idle_announce(ctx);
    /* Long enough that the harness believes it before the reply goes out. */
    struct timespec ts = {0, 2 * 1000 * 1000};
    nanosleep(&ts, NULL);
}
