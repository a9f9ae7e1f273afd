/*
 * What every device model's main shares: --socket PATH, --legacy-socket,
 * --verbose, --help, and running the context until SIGINT/SIGTERM.
 */
#ifndef VUS_MODEL_CLI_H
#define VUS_MODEL_CLI_H

#include <stdbool.h>

#include "vfio_user/server.h"

struct model_opts {
    const char *socket_path;
    bool legacy_socket;
    bool verbose;
    int io_timeout_ms; /* --io-timeout-ms; 0 = the library's default */
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

/* Realizes ctx, serves clients until SIGINT/SIGTERM; returns an exit code. */
int model_serve(struct vus_ctx *ctx);

#endif /* VUS_MODEL_CLI_H */
