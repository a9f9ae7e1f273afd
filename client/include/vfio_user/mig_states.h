/*
 * VFIO's migration state machine (linux/vfio.h, "enum vfio_device_mig_state"),
 * shared by the client (which SETs states) and the server library (which
 * walks them): the direct arcs a device offering some VU_MIGRATION_* flags
 * has, and the combination transitions a SET may ask for. Facts of the
 * protocol, like proto.h, so both sides read them from one place.
 */
#ifndef VFIO_USER_MIG_STATES_H
#define VFIO_USER_MIG_STATES_H

#include <stdbool.h>
#include <stdint.h>

#include "vfio_user/proto.h"

#define VU_MIG_BIT(s) (1u << VU_MIG_STATE_##s)

/* The states reachable in one step from `from`: the base set (STOP_COPY is
 * required), then what P2P and PRE_COPY add. Without P2P, STOP and RUNNING
 * are adjacent; with it, RUNNING_P2P sits between them. */
static inline uint32_t vu_mig_arcs_from(uint32_t from, uint64_t flags) {
    bool p2p = (flags & VU_MIGRATION_P2P) != 0, pre = (flags & VU_MIGRATION_PRE_COPY) != 0;
    if (!(flags & VU_MIGRATION_STOP_COPY))
        return 0;
    switch (from) {
    case VU_MIG_STATE_STOP:
        return VU_MIG_BIT(STOP_COPY) | VU_MIG_BIT(RESUMING) |
               (p2p ? VU_MIG_BIT(RUNNING_P2P) : VU_MIG_BIT(RUNNING));
    case VU_MIG_STATE_RUNNING:
        return (p2p ? VU_MIG_BIT(RUNNING_P2P) : VU_MIG_BIT(STOP)) |
               (pre ? VU_MIG_BIT(PRE_COPY) : 0);
    case VU_MIG_STATE_STOP_COPY:
    case VU_MIG_STATE_RESUMING:
        return VU_MIG_BIT(STOP);
    case VU_MIG_STATE_RUNNING_P2P:
        return p2p ? VU_MIG_BIT(RUNNING) | VU_MIG_BIT(STOP) | (pre ? VU_MIG_BIT(PRE_COPY_P2P) : 0)
                   : 0;
    case VU_MIG_STATE_PRE_COPY:
        return pre ? VU_MIG_BIT(RUNNING) | VU_MIG_BIT(STOP_COPY) |
                         (p2p ? VU_MIG_BIT(PRE_COPY_P2P) : 0)
                   : 0;
    case VU_MIG_STATE_PRE_COPY_P2P:
        return pre && p2p ? VU_MIG_BIT(PRE_COPY) | VU_MIG_BIT(RUNNING_P2P) | VU_MIG_BIT(STOP_COPY)
                          : 0;
    default:
        return 0; /* ERROR and unknown states have no way out but a reset */
    }
}

/* The first step from `from` towards `to` of a combination transition, or
 * VU_MIG_STATE_ERROR when `to` cannot be reached: the path passes only
 * through states without side effects (STOP, RUNNING, RUNNING_P2P), and
 * STOP_COPY -> PRE_COPY(_P2P) is blocked (data handed over cannot be handed
 * over again). `from` itself when from == to. Breadth first, so the path is
 * a shortest one. */
static inline uint32_t vu_mig_next_step(uint32_t from, uint32_t to, uint64_t flags) {
    if (from >= VU_MIG_STATE_COUNT || to >= VU_MIG_STATE_COUNT || from == VU_MIG_STATE_ERROR ||
        !(flags & VU_MIGRATION_STOP_COPY))
        return VU_MIG_STATE_ERROR;
    if (from == to)
        return from;
    if (from == VU_MIG_STATE_STOP_COPY &&
        (to == VU_MIG_STATE_PRE_COPY || to == VU_MIG_STATE_PRE_COPY_P2P))
        return VU_MIG_STATE_ERROR;
    const uint32_t passable = VU_MIG_BIT(STOP) | VU_MIG_BIT(RUNNING) | VU_MIG_BIT(RUNNING_P2P);
    /* first[s]: the first step of the path found to s. */
    uint32_t first[VU_MIG_STATE_COUNT] = {0};
    uint32_t seen = 1u << from, frontier = 1u << from;
    for (int depth = 0; frontier != 0; depth++) {
        uint32_t next = 0;
        for (uint32_t s = 0; s < VU_MIG_STATE_COUNT; s++) {
            if (!((frontier >> s) & 1u))
                continue;
            uint32_t arcs = vu_mig_arcs_from(s, flags) & ~seen & ~next;
            for (uint32_t t = 0; t < VU_MIG_STATE_COUNT; t++)
                if ((arcs >> t) & 1u)
                    first[t] = depth == 0 ? t : first[s];
            next |= arcs;
        }
        if ((next >> to) & 1u)
            return first[to];
        seen |= next;
        frontier = next & passable;
    }
    return VU_MIG_STATE_ERROR;
}

#endif /* VFIO_USER_MIG_STATES_H */
