/* Names and one-line descriptions of hostile_server's modes, and the
 * commands the flooding ones send. */
#include "hostile_modes.h"

#include <vfio_user/proto.h>

#include <string.h>

static const struct {
    const char *name, *what;
} modes[] = {
    [HM_OK] = {"ok", "a correct device (the baseline)"},
    [HM_VERSION_BAD_JSON] = {"version-bad-json", "VERSION reply with JSON cut short"},
    [HM_VERSION_HUGE_FDS] = {"version-huge-fds", "VERSION max_msg_fds 2^32-1"},
    [HM_VERSION_HUGE_XFER] = {"version-huge-xfer", "VERSION max_data_xfer_size 2^64-1"},
    [HM_VERSION_TWIN_NO_FD] = {"version-twin-no-fd", "twin socket agreed, no fd sent"},
    [HM_VERSION_TWIN_BAD_INDEX] = {"version-twin-bad-index", "twin socket at fd_index 3 of 1"},
    [HM_VERSION_TWIN_LOOP] = {"version-twin-loop",
                              "the server's end of the main socket sent as the twin"},
    [HM_VERSION_DUP] = {"version-dup", "the VERSION reply sent twice"},
    [HM_VERSION_STALL] = {"version-stall", "VERSION reply header, body never"},
    [HM_VERSION_EOF] = {"version-eof", "disconnect on VERSION"},
    [HM_VERSION_CRASH] = {"version-crash",
                          "on VERSION: a last word on stderr, close, abort 100 ms later"},
    [HM_INFO_REGIONS_2G] = {"info-regions-2g", "DEVICE_GET_INFO claims 2^31 regions"},
    [HM_INFO_IRQS_2G] = {"info-irqs-2g", "DEVICE_GET_INFO claims 2^31 IRQ types"},
    [HM_INFO_EOF] = {"info-eof", "disconnect on DEVICE_GET_INFO"},
    [HM_INFO_STALL] = {"info-stall", "DEVICE_GET_INFO reply header, body never"},
    [HM_REGION_WRAP] = {"region-wrap", "BAR0 mmap offset + size wraps"},
    [HM_REGION_CAPS_LOOP] = {"region-caps-loop", "BAR0 caps chain points at itself"},
    [HM_REGION_CAPS_OUTSIDE] = {"region-caps-outside", "BAR0 caps chain points past the end"},
    [HM_REGION_EOF] = {"region-eof", "disconnect on BAR0's region info"},
    [HM_REGION_DUP] = {"region-dup", "BAR0's region info reply sent twice"},
    [HM_REGION_ERRNO0] = {"region-errno0", "BAR0's region info: error reply, errno 0"},
    [HM_REGION_ERRNO_BIG] = {"region-errno-big", "BAR0's region info: error reply, errno 5000"},
    [HM_MMAP_AREA_OUTSIDE] = {"mmap-area-outside",
                              "BAR0 (4 KiB) offers a sparse mmap area [0x1000,+0x1000)"},
    [HM_MMAP_NO_FD] = {"mmap-no-fd", "BAR0 offers a sparse mmap area, no fd sent"},
    [HM_MMAP_FD_SHORT] = {"mmap-fd-short", "BAR0's mmap fd is an empty memfd (SIGBUS on access)"},
    [HM_MMAP_UNALIGNED] = {"mmap-unaligned", "BAR0 offers a sparse mmap area [0x10,+0x100)"},
    [HM_MMAP_FD_UNMAPPABLE] = {"mmap-fd-unmappable",
                               "BAR0's mmap fd is a memfd sealed against writes"},
    [HM_READ_ERRNO0] = {"read-errno0", "first BAR0 read: error reply, errno 0"},
    [HM_READ_ERRNO_BIG] = {"read-errno-big", "first BAR0 read: error reply, errno 5000"},
    [HM_READ_STALL] = {"read-stall", "first BAR0 read: reply header, body never"},
    [HM_READ_EOF] = {"read-eof", "first BAR0 read: half a reply, then disconnect"},
    [HM_READ_DUP] = {"read-dup", "first BAR0 read answered twice"},
    [HM_ENUM_EOF] = {"enum-eof", "disconnect after enumeration (first BAR0 read)"},
    [HM_FLOOD_COMMANDS] = {"flood-commands", "100000 unknown commands before a BAR0 reply"},
    [HM_FLOOD_DMA_READ] = {"flood-dma-read", "10000 DMA_READs of 1 MiB before a BAR0 reply"},
    [HM_FLOOD_DMA_WRITE] = {"flood-dma-write",
                            "4096 DMA_WRITEs of 128 KiB (512 MiB) before a BAR0 reply"},
    [HM_DMA_OUTSIDE] = {"dma-outside", "a DMA_READ outside every DMA window"},
    [HM_CFG_BAR_NOT_POW2] = {"cfg-bar-not-pow2", "BAR0 sizes as 0x3000 (mask 0xffffd000)"},
    [HM_CFG_ROM_NOT_POW2] = {"cfg-rom-not-pow2", "expansion ROM sizes as 0x1800 (mask 0xffffe800)"},
    [HM_CFG_EXT_LOOP] = {"cfg-ext-loop",
                         "PCIe device: extended caps 0x100 -> 0x140 -> 0x100 (a loop)"},
    [HM_CFG_EXT_LOW] = {"cfg-ext-low", "PCIe device: extended cap 0x100's next pointer is 0x0c0"},
    [HM_CFG_EXT_UNALIGNED] = {"cfg-ext-unaligned",
                              "PCIe device: extended cap 0x100's next pointer is 0x142"},
    [HM_CFG_BAR5_64] = {"cfg-bar5-64", "BAR5 says 64-bit (type 10b): no BAR6 for its upper half"},
    [HM_DMA_MAP_REFUSED] = {"dma-map-refused", "every DMA_MAP refused with EPERM"},
    [HM_MIG_OK] = {"mig-ok", "a correct device that migrates: 16 bytes of state in STOP_COPY"},
    [HM_MIG_FEATURE_FAILS] = {"mig-feature-fails",
                              "claims migration (VERSION, PROBE), GET MIGRATION fails with EIO"},
    [HM_MIG_BAD_STATE] = {"mig-bad-state", "SET STOP_COPY answered naming RUNNING"},
    [HM_MIG_ILLEGAL_JUMP] = {"mig-illegal-jump",
                             "GET MIG_DEVICE_STATE after PRE_COPY says RESUMING"},
    [HM_MIG_STATE_BOGUS] = {"mig-state-bogus", "GET MIG_DEVICE_STATE says 9, no VFIO state"},
    [HM_MIG_DATA_OVERFLOW] = {"mig-data-overflow",
                              "MIG_DATA_READ answers size asked+16 with as many bytes"},
    [HM_MIG_DATA_SIZE_LIES] = {"mig-data-size-lies", "MIG_DATA_READ says size 16, carries 8 bytes"},
    [HM_MIG_DATA_EXCESS] = {"mig-data-excess",
                            "MIG_DATA_READ says size 16, carries 64 bytes more than asked"},
    [HM_MIG_DATA_ENDLESS] = {"mig-data-endless",
                             "MIG_DATA_READ in STOP_COPY: full chunks, never the end (0 bytes)"},
    [HM_MIG_QUIESCE_STALL] = {"mig-quiesce-stall", "a SET to STOP or STOP_COPY never answered"},
    [HM_MIG_DIE_SOURCE] = {"mig-die-source", "exits 3 on the first MIG_DATA_READ in STOP_COPY"},
    [HM_MIG_DIE_DEST] = {"mig-die-dest", "exits 3 on the first MIG_DATA_WRITE in RESUMING"},
    [HM_MIG_WRITE_REFUSED] = {"mig-write-refused", "MIG_DATA_WRITE in RESUMING refused: EINVAL"},
};

/* dma0 of rcsim is [0x10000000, +16 MiB): 0x1000 is outside every window. */
static const struct hostile_flood floods[] = {
    {0x7f, 100000, 0, 0},
    {VU_CMD_DMA_READ, 10000, 0x10000000, 1u << 20},
    {VU_CMD_DMA_WRITE, 4096, 0x10000000, 128u << 10},
    {VU_CMD_DMA_READ, 1, 0x1000, 4},
};

int hostile_mode_parse(const char *name, enum hostile_mode *out) {
    for (unsigned i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(modes[i].name, name) == 0) {
            *out = (enum hostile_mode)i;
            return 0;
        }
    return -1;
}

void hostile_list_modes(FILE *f) {
    for (unsigned i = 0; i < sizeof modes / sizeof modes[0]; i++)
        fprintf(f, "  %-24s %s\n", modes[i].name, modes[i].what);
}

const struct hostile_flood *hostile_flood_of(enum hostile_mode m) {
    switch (m) {
    case HM_FLOOD_COMMANDS:
        return &floods[0];
    case HM_FLOOD_DMA_READ:
        return &floods[1];
    case HM_FLOOD_DMA_WRITE:
        return &floods[2];
    case HM_DMA_OUTSIDE:
        return &floods[3];
    default:
        return NULL;
    }
}
