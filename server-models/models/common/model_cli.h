/*
 * What every device model's main shares: --socket PATH, --dma-mode MODE
 * (--legacy-socket), --dma-queue-limit BYTES, --verbose, --io-timeout-ms,
 * --help, and running the context until SIGINT/SIGTERM.
 */
#ifndef VUS_MODEL_CLI_H
#define VUS_MODEL_CLI_H

#include <stdbool.h>

#include "vfio_user/server.h"

struct model_opts {
    const char *socket_path;
    enum vus_dma_mode dma_mode; /* --dma-mode; --legacy-socket means LEGACY */
    size_t dma_queue_limit;     /* --dma-queue-limit; 0 = the library's default */
    bool verbose;
    int io_timeout_ms;      /* --io-timeout-ms; 0 = the library's default */
    bool no_idle_announce;  /* --no-idle-announce */
    bool idle_announce_lie; /* --idle-announce-lie (hostile, for tests) */
};

/* Extra options a model understands: name (without --), whether it takes a
 * value, and a line of help. parse() returns 0 or -1 (bad value). */
struct model_option {
    const char *name;
    bool has_value;
    const char *help;
};

typedef int (*model_option_cb)(void *priv, const char *name, const char *value);

/* Returns 0 to go on, 1 after --help (exit 0), -1 on a usage error. */
int model_parse_args(int argc, char **argv, const char *summary, const struct model_option *extra,
                     model_option_cb cb, void *priv, struct model_opts *out);

/* A model whose DMA is synchronous code passes can_async = false: it cannot
 * run in ASYNC mode. Returns false (after saying why on stderr) when the mode
 * does not suit the model; main then exits with 2. */
bool model_dma_mode_ok(const struct model_opts *o, const char *prog, bool can_async);

/* Realizes ctx, serves clients until SIGINT/SIGTERM; returns an exit code. */
int model_serve(struct vus_ctx *ctx);

/* Like model_serve, but the wait also covers extra_fd (a device's own timer,
 * e.g. a timerfd) and has no timeout: the server sleeps as libvfio-user's
 * `server` sample does while its timer runs, which /proc cannot tell from
 * idle (sim/scenario/SCENARIOS.md, "Wall-clock waits"). on_ready(arg) runs
 * in this thread when extra_fd is readable. */
int model_serve_with_fd(struct vus_ctx *ctx, int extra_fd, void (*on_ready)(void *arg), void *arg);

#endif /* VUS_MODEL_CLI_H */
