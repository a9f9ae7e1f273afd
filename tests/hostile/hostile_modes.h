/* The ways hostile_server breaks the protocol: one enum, one table of names
 * and what each does (hostile_modes.c). */
#ifndef HOSTILE_MODES_H
#define HOSTILE_MODES_H

#include <stdint.h>
#include <stdio.h>

enum hostile_mode {
    HM_OK,
    HM_VERSION_BAD_JSON,
    HM_VERSION_HUGE_FDS,
    HM_VERSION_HUGE_XFER,
    HM_VERSION_TWIN_NO_FD,
    HM_VERSION_TWIN_BAD_INDEX,
    HM_VERSION_TWIN_LOOP,
    HM_VERSION_DUP,
    HM_VERSION_STALL,
    HM_VERSION_EOF,
    HM_VERSION_CRASH,
    HM_INFO_REGIONS_2G,
    HM_INFO_IRQS_2G,
    HM_INFO_EOF,
    HM_INFO_STALL,
    HM_REGION_WRAP,
    HM_REGION_CAPS_LOOP,
    HM_REGION_CAPS_OUTSIDE,
    HM_REGION_EOF,
    HM_REGION_DUP,
    HM_REGION_ERRNO0,
    HM_REGION_ERRNO_BIG,
    HM_MMAP_AREA_OUTSIDE,
    HM_MMAP_NO_FD,
    HM_MMAP_FD_SHORT,
    HM_MMAP_UNALIGNED,
    HM_MMAP_FD_UNMAPPABLE,
    HM_READ_ERRNO0,
    HM_READ_ERRNO_BIG,
    HM_READ_STALL,
    HM_READ_EOF,
    HM_READ_DUP,
    HM_ENUM_EOF,
    HM_FLOOD_COMMANDS,
    HM_FLOOD_DMA_READ,
    HM_FLOOD_DMA_WRITE,
    HM_DMA_OUTSIDE,
    HM_CFG_BAR_NOT_POW2,
    HM_CFG_ROM_NOT_POW2,
    HM_CFG_EXT_LOOP,
    HM_CFG_EXT_LOW,
    HM_CFG_EXT_UNALIGNED,
    HM_CFG_BAR5_64,
    HM_DMA_MAP_REFUSED,
    /* Migration v2: the device offers it (VERSION's "migration", DEVICE_FEATURE);
     * every mode from HM_MIG_OK on. */
    HM_MIG_OK,
    HM_MIG_FEATURE_FAILS,
    HM_MIG_BAD_STATE,
    HM_MIG_ILLEGAL_JUMP,
    HM_MIG_STATE_BOGUS,
    HM_MIG_DATA_OVERFLOW,
    HM_MIG_DATA_SIZE_LIES,
    HM_MIG_DATA_EXCESS,
    HM_MIG_DATA_ENDLESS,
    HM_MIG_QUIESCE_STALL,
    HM_MIG_DIE_SOURCE,
    HM_MIG_DIE_DEST,
    HM_MIG_WRITE_REFUSED,
};

/* Server commands sent before the first BAR0 read is answered. */
struct hostile_flood {
    uint16_t cmd;
    unsigned count;
    uint64_t addr, bytes;
};

int hostile_mode_parse(const char *name, enum hostile_mode *out);
void hostile_list_modes(FILE *f);
/* NULL for a mode that sends no commands of its own. */
const struct hostile_flood *hostile_flood_of(enum hostile_mode m);
/* Whether the device offers migration (and dirty page logging). */
static inline int hostile_mode_migrates(enum hostile_mode m) {
    return m >= HM_MIG_OK;
}

#endif
