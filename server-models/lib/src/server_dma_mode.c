/*
 * The DMA mode's names, for command lines and logs. What each mode does
 * lives with the code it changes: VERSION (which modes offer the twin
 * socket), server_dma.c (synchronous DMA), server_dma_queue.c (QUEUE) and
 * server_dma_async.c (ASYNC).
 */
#include <errno.h>
#include <string.h>

#include "server_private.h"

static const char *const mode_names[] = {
    [VUS_DMA_MODE_TWIN] = "twin",
    [VUS_DMA_MODE_LEGACY] = "legacy",
    [VUS_DMA_MODE_QUEUE] = "queue",
    [VUS_DMA_MODE_ASYNC] = "async",
};

const char *vus_dma_mode_name(enum vus_dma_mode mode) {
    return (unsigned)mode < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[mode] : NULL;
}

int vus_dma_mode_parse(const char *name, enum vus_dma_mode *out) {
    for (unsigned m = 0; name != NULL && m < sizeof(mode_names) / sizeof(mode_names[0]); m++) {
        if (strcmp(name, mode_names[m]) == 0) {
            *out = (enum vus_dma_mode)m;
            return 0;
        }
    }
    return -EINVAL;
}
