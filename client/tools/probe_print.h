/*
 * What vu-probe prints about a vfio-user device, as a library so that
 * `rcsim probe` prints the same.
 */
#ifndef VU_PROBE_PRINT_H
#define VU_PROBE_PRINT_H

#include <stdbool.h>
#include <stdio.h>

#include "vfio_user/client.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Prints the device behind a negotiated client to `out` (errors to `err`,
 * prefixed with `prog`). Returns 0, or 1 when the server failed a request. */
int vu_probe_print(struct vuc_ctx *ctx, FILE *out, FILE *err, const char *prog);

/* Connects to SOCKET, negotiates (offering the twin socket unless no_twin)
 * and prints. Returns 0, 1 when the server failed a request, 2 when the
 * connection or negotiation failed. */
int vu_probe_socket(const char *path, bool no_twin, FILE *out, FILE *err, const char *prog);

#ifdef __cplusplus
}
#endif

#endif
