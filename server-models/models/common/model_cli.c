/* Command line and run loop shared by the device models. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_cli.h"

static struct vus_ctx *serving; /* for the signal handler only */

static void on_signal(int sig) {
    (void)sig;
    if (serving != NULL) {
        vus_stop(serving);
    }
}

static void usage(FILE *f, const char *prog, const char *summary,
                  const struct model_option *extra) {
    fprintf(f, "usage: %s --socket PATH [options]\n%s\n\n", prog, summary);
    fprintf(f, "  --socket PATH      UNIX socket to listen on (required)\n");
    fprintf(f, "  --legacy-socket    refuse the twin socket: DMA on the main socket, as\n"
               "                     libvfio-user before its fix (the #279 race)\n");
    fprintf(f, "  --verbose          log every message to stderr\n");
    fprintf(f, "  --io-timeout-ms N  drop a client that leaves a DMA command or a started\n"
               "                     message unanswered this long (default 10000; -1: never)\n");
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
            out->legacy_socket = true;
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
