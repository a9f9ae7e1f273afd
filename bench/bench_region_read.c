/*
 * bench-client-region-read: REGION_READ round trips per second through the
 * client library (blocking vuc_region_read) against a minimal in-repo
 * responder thread, beside a raw socketpair ping-pong of the same message
 * sizes with the same responder, measured in the same run. Prints median,
 * min and max of several runs and the ratio of the medians. --figures: also
 * machine-readable lines "FIGURE\tkey\tmedian\tmin\tmax\tunit" (bench/report.sh).
 */
#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vfio_user/client.h"

#define RUNS 5
#define MAX_COUNT 4096u

static const char version_json[] =
    "{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1048576}}";

static int read_exact(int fd, void *buf, size_t n) {
    for (size_t have = 0; have < n;) {
        ssize_t r = read(fd, (char *)buf + have, n - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        have += (size_t)r;
    }
    return 0;
}

static int write_all(int fd, const void *buf, size_t n) {
    for (size_t done = 0; done < n;) {
        ssize_t w = write(fd, (const char *)buf + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    return 0;
}

/* The responder: answers VERSION and REGION_READ (fixed data), nothing else,
 * until EOF. No server library involved. */
static void *responder(void *arg) {
    int fd = *(int *)arg;
    uint8_t body[256], out[sizeof(struct vu_hdr) + sizeof(struct vu_region_access) + MAX_COUNT];
    memset(out, 0xa5, sizeof(out));
    for (;;) {
        struct vu_hdr h;
        if (read_exact(fd, &h, sizeof(h)) < 0 || h.msg_size < sizeof(h) ||
            h.msg_size - sizeof(h) > sizeof(body))
            break;
        if (read_exact(fd, body, h.msg_size - sizeof(h)) < 0)
            break;
        struct vu_hdr r = {.msg_id = h.msg_id, .cmd = h.cmd, .flags = VU_F_TYPE_REPLY};
        size_t len = sizeof(r);
        if (h.cmd == VU_CMD_VERSION) {
            struct vu_version v = {.major = 0, .minor = 2};
            memcpy(out + len, &v, sizeof(v));
            memcpy(out + len + sizeof(v), version_json, sizeof(version_json));
            len += sizeof(v) + sizeof(version_json);
        } else if (h.cmd == VU_CMD_REGION_READ) {
            struct vu_region_access a;
            memcpy(&a, body, sizeof(a));
            if (a.count > MAX_COUNT)
                break;
            memcpy(out + len, &a, sizeof(a));
            len += sizeof(a) + a.count;
        }
        r.msg_size = (uint32_t)len;
        memcpy(out, &r, sizeof(r));
        if (write_all(fd, out, len) < 0)
            break;
    }
    return NULL;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Starts a responder on one end of a socketpair; returns the other end. */
static int start_responder(pthread_t *th, int *server_end) {
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
        return -1;
    *server_end = sp[1];
    if (pthread_create(th, NULL, responder, server_end) != 0)
        return -1;
    return sp[0];
}

static double run_library(uint32_t count, int iters) {
    pthread_t th;
    int server_end;
    int fd = start_responder(&th, &server_end);
    struct vuc_ctx *ctx = vuc_create(NULL);
    uint8_t buf[MAX_COUNT];
    double rate = -1;
    if (fd >= 0 && ctx && vuc_attach_fd(ctx, fd) == 0 && vuc_negotiate(ctx) == 0) {
        double t0 = now_s();
        int i = 0;
        while (i < iters && vuc_region_read(ctx, 0, 0, buf, count) == 0)
            i++;
        rate = i == iters ? iters / (now_s() - t0) : -1;
    }
    vuc_destroy(ctx); /* closes fd: the responder sees EOF */
    pthread_join(th, NULL);
    close(server_end);
    return rate;
}

static double run_raw(uint32_t count, int iters) {
    pthread_t th;
    int server_end;
    int fd = start_responder(&th, &server_end);
    uint8_t req[sizeof(struct vu_hdr) + sizeof(struct vu_region_access)];
    uint8_t rep[sizeof(req) + MAX_COUNT];
    struct vu_hdr h = {.cmd = VU_CMD_REGION_READ, .msg_size = sizeof(req)};
    struct vu_region_access a = {.offset = 0, .region = 0, .count = count};
    memcpy(req + sizeof(h), &a, sizeof(a));
    double t0 = now_s();
    int i = 0;
    for (; i < iters; i++) {
        h.msg_id = (uint16_t)i;
        memcpy(req, &h, sizeof(h));
        if (write_all(fd, req, sizeof(req)) < 0 || read_exact(fd, rep, sizeof(req) + count) < 0)
            break;
    }
    double rate = i == iters ? iters / (now_s() - t0) : -1;
    close(fd);
    pthread_join(th, NULL);
    close(server_end);
    return rate;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    bool figures = argc > 1 && strcmp(argv[1], "--figures") == 0;
    if (figures) {
        argc--;
        argv++;
    }
    int iters = argc > 1 ? atoi(argv[1]) : 20000;
    if (iters <= 0) {
        fprintf(stderr, "usage: bench-client-region-read [ITERATIONS per run]\n");
        return 2;
    }
    /* Both threads on one CPU: each round trip is then two context switches
     * instead of cross-CPU wakeups, whose cost swings tenfold with load. */
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
    bool pinned = sched_setaffinity(0, sizeof(one), &one) == 0;
    const uint32_t sizes[] = {4, 8, 4096};
    printf("REGION_READ round trips/s, %d runs of %d each (median [min, max]), %s\n", RUNS, iters,
           pinned ? "client and responder pinned to one CPU" : "not pinned");
    printf("%6s  %-30s  %-30s  %s\n", "bytes", "client library", "raw socketpair", "lib/raw");
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        double lib[RUNS], raw[RUNS];
        for (int r = 0; r < RUNS; r++) {
            /* Interleaved so both see the same machine load. */
            lib[r] = run_library(sizes[s], iters);
            raw[r] = run_raw(sizes[s], iters);
            if (lib[r] < 0 || raw[r] < 0) {
                fprintf(stderr, "bench-client-region-read: a run failed\n");
                return 1;
            }
        }
        qsort(lib, RUNS, sizeof(double), cmp_double);
        qsort(raw, RUNS, sizeof(double), cmp_double);
        char l[64], w[64];
        snprintf(l, sizeof(l), "%.0f [%.0f, %.0f]", lib[RUNS / 2], lib[0], lib[RUNS - 1]);
        snprintf(w, sizeof(w), "%.0f [%.0f, %.0f]", raw[RUNS / 2], raw[0], raw[RUNS - 1]);
        printf("%6u  %-30s  %-30s  %.2f\n", sizes[s], l, w, lib[RUNS / 2] / raw[RUNS / 2]);
        if (figures) {
            printf("FIGURE\tregion_read_lib_%u\t%.6g\t%.6g\t%.6g\tround trips/s\n", sizes[s],
                   lib[RUNS / 2], lib[0], lib[RUNS - 1]);
            printf("FIGURE\tregion_read_raw_%u\t%.6g\t%.6g\t%.6g\tround trips/s\n", sizes[s],
                   raw[RUNS / 2], raw[0], raw[RUNS - 1]);
        }
    }
    return 0;
}
