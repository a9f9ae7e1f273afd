/* Command line and run loop shared by the device models. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_cli.h"

static struct vus_ctx *serving; /* for the signal handler only */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
    if (serving != NULL) {
        vus_stop(serving);
    }
}

static void usage(FILE *f, const char *prog, const char *summary,
                  const struct model_option *extra) {
    fprintf(f, "usage: %s --socket PATH [options]\n%s\n\n", prog, summary);
    fprintf(f, "  --socket PATH      UNIX socket to listen on (required)\n");
    fprintf(f, "  --dma-mode MODE    how DMA meets client commands (server-models/README.md):\n"
               "                     twin (default: offer the twin socket), legacy (refuse\n"
               "                     it: DMA on the main socket, the #279 race), queue (hold\n"
               "                     commands that cross a DMA, serve them after it), async\n"
               "                     (DMA by completion callbacks; not every model),\n"
               "                     map-socket (no twin; a map whose DMA_MAP brings a\n"
               "                     socket gets its DMA on it, other maps as legacy)\n");
    fprintf(f, "  --legacy-socket    the same as --dma-mode legacy\n");
    fprintf(f, "  --dma-queue-limit BYTES\n"
               "                     queue mode: most bytes held during one DMA (default 65536)\n");
    fprintf(f, "  --verbose          log every message to stderr\n");
    fprintf(f, "  --io-timeout-ms N  drop a client that leaves a DMA command or a started\n"
               "                     message unanswered this long (default 10000; -1: never)\n");
    fprintf(f, "  --no-idle-announce do not announce idle to a harness that offers its page\n"
               "                     (sim/sched/README.md; the harness then uses /proc)\n");
    fprintf(f, "  --idle-announce-lie\n"
               "                     hostile, for tests: announce idle before answering\n");
    fprintf(f, "  --help             this text\n");
    for (const struct model_option *o = extra; o != NULL && o->name != NULL; o++) {
        fprintf(f, "  --%s%s\n      %s\n", o->name, o->has_value ? " VALUE" : "", o->help);
    }
}

static const struct model_option *find(const struct model_option *extra, const char *name) {
    for (const struct model_option *o = extra; o != NULL && o->name != NULL; o++) {
        if (strcmp(o->name, name) == 0) {
            return o;
        }
    }
    return NULL;
}

int model_parse_args(int argc, char **argv, const char *summary, const struct model_option *extra,
                     model_option_cb cb, void *priv, struct model_opts *out) {
    memset(out, 0, sizeof(*out));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout, argv[0], summary, extra);
            return 1;
        }
        if (strcmp(a, "--socket") == 0 && i + 1 < argc) {
            out->socket_path = argv[++i];
            continue;
        }
        if (strcmp(a, "--legacy-socket") == 0) {
            out->dma_mode = VUS_DMA_MODE_LEGACY;
            continue;
        }
        if (strcmp(a, "--dma-mode") == 0 && i + 1 < argc) {
            if (vus_dma_mode_parse(argv[++i], &out->dma_mode) < 0) {
                fprintf(stderr,
                        "%s: bad --dma-mode %s (legacy, queue, async, map-socket or twin)\n",
                        argv[0], argv[i]);
                return -1;
            }
            continue;
        }
        if (strcmp(a, "--dma-queue-limit") == 0 && i + 1 < argc) {
            char *end;
            unsigned long long v = strtoull(argv[++i], &end, 10);
            if (*end != '\0' || argv[i][0] < '0' || argv[i][0] > '9' || v == 0 ||
                v > (1ull << 30)) {
                fprintf(stderr, "%s: bad --dma-queue-limit %s (1..1073741824 bytes)\n", argv[0],
                        argv[i]);
                return -1;
            }
            out->dma_queue_limit = (size_t)v;
            continue;
        }
        if (strcmp(a, "--io-timeout-ms") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end != '\0' || v < -1 || v > 3600000 || v == 0) {
                fprintf(stderr, "%s: bad --io-timeout-ms %s\n", argv[0], argv[i]);
                return -1;
            }
            out->io_timeout_ms = (int)v;
            continue;
        }
        if (strcmp(a, "--verbose") == 0) {
            out->verbose = true;
            continue;
        }
        if (strcmp(a, "--no-idle-announce") == 0) {
            out->no_idle_announce = true;
            continue;
        }
        if (strcmp(a, "--idle-announce-lie") == 0) {
            out->idle_announce_lie = true;
            continue;
        }
        const struct model_option *o = strncmp(a, "--", 2) == 0 ? find(extra, a + 2) : NULL;
        if (o != NULL && (!o->has_value || i + 1 < argc)) {
            const char *v = o->has_value ? argv[++i] : NULL;
            if (cb(priv, o->name, v) < 0) {
                fprintf(stderr, "%s: bad value for --%s: %s\n", argv[0], o->name, v ? v : "");
                return -1;
            }
            continue;
        }
        fprintf(stderr, "%s: unknown or incomplete option %s\n", argv[0], a);
        usage(stderr, argv[0], summary, extra);
        return -1;
    }
    if (out->socket_path == NULL) {
        fprintf(stderr, "%s: --socket PATH is required\n", argv[0]);
        return -1;
    }
    return 0;
}

bool model_dma_mode_ok(const struct model_opts *o, const char *prog, bool can_async) {
    if (o->dma_mode == VUS_DMA_MODE_ASYNC && !can_async) {
        fprintf(stderr,
                "%s: --dma-mode async is not supported by this model: its DMA is synchronous "
                "code (use legacy, queue, map-socket or twin)\n",
                prog);
        return false;
    }
    return true;
}

int model_serve(struct vus_ctx *ctx) {
    int ret = vus_realize(ctx);
    if (ret < 0) {
        fprintf(stderr, "cannot start the server: %s\n", strerror(-ret));
        return 1;
    }
    serving = ctx;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    ret = vus_run(ctx);
    serving = NULL;
    if (ret < 0) {
        fprintf(stderr, "server stopped: %s\n", strerror(-ret));
        return 1;
    }
    return 0;
}

/* SIGINT/SIGTERM stay blocked except inside ppoll, so a stop request cannot
 * fall between the check of the flag and an untimed wait. */
static int serve_loop(struct vus_ctx *ctx, int extra_fd, void (*on_ready)(void *arg), void *arg,
                      const sigset_t *wait_mask) {
    while (!stop_requested) {
        struct pollfd pfds[4];
        int n = vus_get_pollfds(ctx, pfds, 3);
        pfds[n] = (struct pollfd){.fd = extra_fd, .events = POLLIN};
        int ready = ppoll(pfds, (nfds_t)n + 1, NULL, wait_mask);
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready < 0) {
            return -errno;
        }
        if (pfds[n].revents != 0) {
            on_ready(arg);
            ready--;
        }
        if (ready > 0) {
            int ret = vus_step(ctx, 0);
            if (ret < 0 && ret != -ENOTCONN) {
                return ret;
            }
        }
    }
    return 0;
}

int model_serve_with_fd(struct vus_ctx *ctx, int extra_fd, void (*on_ready)(void *arg), void *arg) {
    int ret = vus_realize(ctx);
    if (ret < 0) {
        fprintf(stderr, "cannot start the server: %s\n", strerror(-ret));
        return 1;
    }
    /* The extra fd (a timer) wakes the loop without a message: no idle
     * announcement from such a device. */
    vus_idle_announce_off(ctx);
    sigset_t stops, wait_mask;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    sigprocmask(SIG_BLOCK, &stops, &wait_mask);
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    ret = serve_loop(ctx, extra_fd, on_ready, arg, &wait_mask);
    if (ret < 0) {
        fprintf(stderr, "server stopped: %s\n", strerror(-ret));
        return 1;
    }
    return 0;
}
