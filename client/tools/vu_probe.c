/*
 * vu-probe SOCKET: negotiates with a vfio-user server and prints what the
 * device offers (probe_print.c). Exit 0 when everything was read, 1 when a
 * request failed or the server broke the protocol, 2 on usage, connection or
 * negotiation errors.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "probe_print.h"

static void usage(FILE *f) {
    fprintf(f, "usage: vu-probe [--no-twin] SOCKET\n"
               "  Connects to the vfio-user server listening on SOCKET and prints its\n"
               "  device: info, regions, config space header, capabilities, IRQs.\n"
               "  --no-twin  do not offer the twin socket (DMA stays on the main socket)\n"
               "  --help     this text\n");
}

int main(int argc, char **argv) {
    bool no_twin = false;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--no-twin") == 0) {
            no_twin = true;
        } else if (argv[i][0] == '-' || path) {
            fprintf(stderr, "vu-probe: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        usage(stderr);
        return 2;
    }
    return vu_probe_socket(path, no_twin, stdout, stderr, "vu-probe");
}
