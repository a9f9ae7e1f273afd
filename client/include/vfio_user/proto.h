/*
 * vfio-user wire format: the message header, every command's payload, flags,
 * region and IRQ indices.
 *
 * This is the one header that client/ and server-models/ share. Layouts follow
 * the protocol tables of QEMU's docs/interop/vfio-user.rst as implemented by
 * libvfio-user (see ../shared/PROTOCOL-NOTES.md); the static assertions at the
 * bottom pin every size to those tables so a careless edit cannot change the
 * wire silently. All integers are little-endian and every structure is packed.
 */
#ifndef VFIO_USER_PROTO_H
#define VFIO_USER_PROTO_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#define VU_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define VU_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

#define VU_PACKED __attribute__((packed))

/* ---- Header ------------------------------------------------------------ */

struct vu_hdr {
    uint16_t msg_id;   /* chosen by the sender of a command, echoed by the reply */
    uint16_t cmd;      /* enum vu_cmd */
    uint32_t msg_size; /* whole message including this header */
    uint32_t flags;    /* VU_F_* */
    uint32_t error_no; /* errno when VU_F_ERROR is set */
} VU_PACKED;

#define VU_F_TYPE_MASK 0xfu
#define VU_F_TYPE_COMMAND 0x0u
#define VU_F_TYPE_REPLY 0x1u
#define VU_F_NO_REPLY 0x10u
#define VU_F_ERROR 0x20u

enum vu_cmd {
    VU_CMD_VERSION = 1,
    VU_CMD_DMA_MAP = 2,
    VU_CMD_DMA_UNMAP = 3,
    VU_CMD_DEVICE_GET_INFO = 4,
    VU_CMD_DEVICE_GET_REGION_INFO = 5,
    VU_CMD_DEVICE_GET_REGION_IO_FDS = 6,
    VU_CMD_DEVICE_GET_IRQ_INFO = 7,
    VU_CMD_DEVICE_SET_IRQS = 8,
    VU_CMD_REGION_READ = 9,
    VU_CMD_REGION_WRITE = 10,
    VU_CMD_DMA_READ = 11,
    VU_CMD_DMA_WRITE = 12,
    VU_CMD_DEVICE_RESET = 13,
    /* 14 was DIRTY_PAGES in earlier drafts and is not used. */
    VU_CMD_REGION_WRITE_MULTI = 15,
    VU_CMD_DEVICE_FEATURE = 16,
    VU_CMD_MIG_DATA_READ = 17,
    VU_CMD_MIG_DATA_WRITE = 18,
    VU_CMD_MAX = 19
};

/* ---- VERSION ----------------------------------------------------------- */

/* Followed by a NUL-terminated JSON object {"capabilities":{...}}. */
struct vu_version {
    uint16_t major;
    uint16_t minor;
} VU_PACKED;

#define VU_VERSION_MAJOR 0
#define VU_VERSION_MINOR 2

/* Defaults that apply when a peer leaves a capability out. */
#define VU_DEFAULT_MAX_MSG_FDS 1u
#define VU_DEFAULT_MAX_DATA_XFER_SIZE (1024u * 1024u)
#define VU_DEFAULT_PGSIZE 4096u

/* Names of the capabilities in the VERSION JSON. */
#define VU_CAP_CAPABILITIES "capabilities"
#define VU_CAP_MAX_MSG_FDS "max_msg_fds"
#define VU_CAP_MAX_DATA_XFER_SIZE "max_data_xfer_size"
#define VU_CAP_MAX_DMA_MAPS "max_dma_maps"
#define VU_CAP_PGSIZES "pgsizes"
#define VU_CAP_MIGRATION "migration"
#define VU_CAP_PGSIZE "pgsize"
#define VU_CAP_MAX_BITMAP_SIZE "max_bitmap_size"
#define VU_CAP_WRITE_MULTIPLE "write_multiple"
#define VU_CAP_TWIN_SOCKET "twin_socket"
#define VU_CAP_SUPPORTED "supported"
#define VU_CAP_FD_INDEX "fd_index"

/* ---- DMA_MAP / DMA_UNMAP ----------------------------------------------- */

struct vu_dma_map {
    uint32_t argsz;
    uint32_t flags;  /* VU_DMA_MAP_F_* */
    uint64_t offset; /* into the fd, when one is sent */
    uint64_t addr;   /* client (DMA) address */
    uint64_t size;
} VU_PACKED;

#define VU_DMA_MAP_F_READ 0x1u
#define VU_DMA_MAP_F_WRITE 0x2u
/* rcsim's own flag, never standardised: the first design of libvfio-user
 * issue #279, a DMA socket per mapping. The map's one fd is a connected
 * AF_UNIX stream socket (not memory to mmap); the server sends every
 * DMA_READ/DMA_WRITE into this map on it and reads the reply there. A server
 * that does not know the flag refuses the map (libvfio-user: "bad flags",
 * EINVAL). The server closes its end at the unmap. */
#define VU_DMA_MAP_F_RCSIM_SOCKET 0x80000000u

struct vu_dma_unmap {
    uint32_t argsz;
    uint32_t flags; /* VU_DMA_UNMAP_F_* */
    uint64_t addr;
    uint64_t size;
} VU_PACKED;

#define VU_DMA_UNMAP_F_GET_DIRTY_BITMAP 0x1u
#define VU_DMA_UNMAP_F_ALL 0x2u

/* ---- DEVICE_GET_INFO --------------------------------------------------- */

struct vu_device_info {
    uint32_t argsz;
    uint32_t flags; /* VU_DEV_F_* */
    uint32_t num_regions;
    uint32_t num_irqs;
} VU_PACKED;

#define VU_DEV_F_RESET 0x1u
#define VU_DEV_F_PCI 0x2u

/* ---- DEVICE_GET_REGION_INFO -------------------------------------------- */

struct vu_region_info {
    uint32_t argsz; /* in the reply: the size needed for the whole answer */
    uint32_t flags; /* VU_REGION_F_* */
    uint32_t index;
    uint32_t cap_offset; /* from the start of this struct, 0 when no caps */
    uint64_t size;
    uint64_t offset; /* mmap offset into the fd the reply carries */
} VU_PACKED;

#define VU_REGION_F_READ 0x1u
#define VU_REGION_F_WRITE 0x2u
#define VU_REGION_F_MMAP 0x4u
#define VU_REGION_F_CAPS 0x8u

/* Capability chain entries inside a region info reply (VFIO's layout). */
struct vu_info_cap_hdr {
    uint16_t id;
    uint16_t version;
    uint32_t next; /* offset of the next cap from the start of the info, 0 ends */
} VU_PACKED;

#define VU_REGION_CAP_SPARSE_MMAP 1u
#define VU_REGION_CAP_TYPE 2u

struct vu_sparse_mmap_area {
    uint64_t offset;
    uint64_t size;
} VU_PACKED;

/* Followed by nr_areas struct vu_sparse_mmap_area. */
struct vu_region_cap_sparse_mmap {
    struct vu_info_cap_hdr header;
    uint32_t nr_areas;
    uint32_t reserved;
} VU_PACKED;

struct vu_region_cap_type {
    struct vu_info_cap_hdr header;
    uint32_t type;
    uint32_t subtype;
} VU_PACKED;

/* ---- DEVICE_GET_REGION_IO_FDS ------------------------------------------ */

/* Followed in the reply by count sub-region descriptors. */
struct vu_region_io_fds {
    uint32_t argsz;
    uint32_t flags;
    uint32_t index;
    uint32_t count;
} VU_PACKED;

struct vu_sub_region_ioeventfd {
    uint64_t offset;
    uint64_t size;
    uint32_t fd_index;
    uint32_t type;  /* VU_IO_FD_TYPE_IOEVENTFD */
    uint32_t flags; /* VU_IOEVENTFD_F_DATAMATCH */
    uint32_t padding;
    uint64_t datamatch;
} VU_PACKED;

struct vu_sub_region_ioregionfd {
    uint64_t offset;
    uint64_t size;
    uint32_t fd_index;
    uint32_t type; /* VU_IO_FD_TYPE_IOREGIONFD */
    uint32_t flags;
    uint32_t padding;
    uint64_t user_data;
} VU_PACKED;

#define VU_IO_FD_TYPE_IOEVENTFD 0u
#define VU_IO_FD_TYPE_IOREGIONFD 1u
#define VU_IOEVENTFD_F_DATAMATCH 0x1u

/* ---- DEVICE_GET_IRQ_INFO / DEVICE_SET_IRQS ----------------------------- */

struct vu_irq_info {
    uint32_t argsz;
    uint32_t flags; /* VU_IRQ_INFO_F_* */
    uint32_t index;
    uint32_t count;
} VU_PACKED;

#define VU_IRQ_INFO_F_EVENTFD 0x1u
#define VU_IRQ_INFO_F_MASKABLE 0x2u
#define VU_IRQ_INFO_F_AUTOMASKED 0x4u
#define VU_IRQ_INFO_F_NORESIZE 0x8u

/* With DATA_BOOL followed by count uint8_t; with DATA_EVENTFD the count
 * eventfds travel as SCM_RIGHTS on this message, so a batch is bounded by the
 * peer's max_msg_fds. */
struct vu_irq_set {
    uint32_t argsz;
    uint32_t flags; /* one VU_IRQ_SET_DATA_* | one VU_IRQ_SET_ACTION_* */
    uint32_t index;
    uint32_t start;
    uint32_t count;
} VU_PACKED;

#define VU_IRQ_SET_DATA_NONE 0x1u
#define VU_IRQ_SET_DATA_BOOL 0x2u
#define VU_IRQ_SET_DATA_EVENTFD 0x4u
#define VU_IRQ_SET_DATA_MASK 0x7u
#define VU_IRQ_SET_ACTION_MASK 0x8u
#define VU_IRQ_SET_ACTION_UNMASK 0x10u
#define VU_IRQ_SET_ACTION_TRIGGER 0x20u
#define VU_IRQ_SET_ACTION_MASK_ALL 0x38u

/* ---- REGION_READ / REGION_WRITE ---------------------------------------- */

/* REGION_READ: request is this alone; reply is this followed by count bytes.
 * REGION_WRITE: request is this followed by count bytes; reply is this alone. */
struct vu_region_access {
    uint64_t offset;
    uint32_t region;
    uint32_t count;
} VU_PACKED;

/* ---- DMA_READ / DMA_WRITE (server to client) --------------------------- */

/* DMA_READ: request is this alone; reply is this followed by count bytes.
 * DMA_WRITE: request is this followed by count bytes; reply is this alone
 * (libvfio-user insists on exactly these 16 bytes with matching fields). */
struct vu_dma_access {
    uint64_t addr;
    uint64_t count;
} VU_PACKED;

/* QEMU's vfio-user client (10.1+) lays DMA_READ/DMA_WRITE out with a 32-bit
 * count. Accepted when received, never sent. */
struct vu_dma_access_qemu {
    uint64_t addr;
    uint32_t count;
} VU_PACKED;

/* ---- REGION_WRITE_MULTI ------------------------------------------------ */

#define VU_WRITE_MULTI_DATA_MAX 8u
#define VU_WRITE_MULTI_MAX 200u

struct vu_region_write_multi_entry {
    uint64_t offset;
    uint32_t region;
    uint32_t count;
    uint8_t data[VU_WRITE_MULTI_DATA_MAX];
} VU_PACKED;

/* Followed by wr_cnt entries; the reply is the 8-byte count alone. */
struct vu_region_write_multi {
    uint64_t wr_cnt;
} VU_PACKED;

/* ---- DEVICE_FEATURE, MIG_DATA_READ/WRITE ------------------------------- */

struct vu_device_feature {
    uint32_t argsz;
    uint32_t flags; /* feature in the low 16 bits, VU_DEVICE_FEATURE_* above */
} VU_PACKED;

#define VU_DEVICE_FEATURE_MASK 0xffffu
#define VU_DEVICE_FEATURE_GET (1u << 16)
#define VU_DEVICE_FEATURE_SET (1u << 17)
#define VU_DEVICE_FEATURE_PROBE (1u << 18)

/* Feature indices (VFIO's numbering). */
#define VU_FEATURE_MIGRATION 1u
#define VU_FEATURE_MIG_DEVICE_STATE 2u
#define VU_FEATURE_DMA_LOGGING_START 6u
#define VU_FEATURE_DMA_LOGGING_STOP 7u
#define VU_FEATURE_DMA_LOGGING_REPORT 8u

/* GET MIGRATION: which arcs the device offers. */
struct vu_feature_migration {
    uint64_t flags; /* VU_MIGRATION_* */
} VU_PACKED;

#define VU_MIGRATION_STOP_COPY (1u << 0)
#define VU_MIGRATION_P2P (1u << 1)
#define VU_MIGRATION_PRE_COPY (1u << 2)

/* GET/SET MIG_DEVICE_STATE. data_fd is unused over a socket (the data moves
 * with MIG_DATA_READ/WRITE); libvfio-user's peers send 0xffffffff. */
struct vu_feature_mig_state {
    uint32_t device_state; /* enum vu_mig_state */
    uint32_t data_fd;
} VU_PACKED;

enum vu_mig_state {
    VU_MIG_STATE_ERROR = 0,
    VU_MIG_STATE_STOP = 1,
    VU_MIG_STATE_RUNNING = 2,
    VU_MIG_STATE_STOP_COPY = 3,
    VU_MIG_STATE_RESUMING = 4,
    VU_MIG_STATE_RUNNING_P2P = 5,
    VU_MIG_STATE_PRE_COPY = 6,
    VU_MIG_STATE_PRE_COPY_P2P = 7,
    VU_MIG_STATE_COUNT = 8
};

/* SET DMA_LOGGING_START / STOP: followed by num_ranges ranges (STOP: 0). */
struct vu_dma_logging_control {
    uint64_t page_size;
    uint32_t num_ranges;
    uint32_t reserved;
} VU_PACKED;

struct vu_dma_logging_range {
    uint64_t iova;
    uint64_t length;
} VU_PACKED;

/* GET DMA_LOGGING_REPORT: the reply adds the bitmap, one bit per page of
 * [iova, iova+length) (bit i of byte i/8 for page i), to the argsz asked. */
struct vu_dma_logging_report {
    uint64_t iova;
    uint64_t length;
    uint64_t page_size;
} VU_PACKED;

/* MIG_DATA_READ: the command asks for `size` bytes; the reply carries `size`
 * bytes read (fewer, or 0 at the end of the data). MIG_DATA_WRITE: the
 * command carries them; the reply is the header alone. */
struct vu_mig_data {
    uint32_t argsz;
    uint32_t size;
} VU_PACKED;

/* ---- Region and IRQ indices (VFIO PCI convention) ---------------------- */

enum vu_pci_region {
    VU_PCI_BAR0_REGION = 0,
    VU_PCI_BAR1_REGION = 1,
    VU_PCI_BAR2_REGION = 2,
    VU_PCI_BAR3_REGION = 3,
    VU_PCI_BAR4_REGION = 4,
    VU_PCI_BAR5_REGION = 5,
    VU_PCI_ROM_REGION = 6,
    VU_PCI_CONFIG_REGION = 7,
    VU_PCI_VGA_REGION = 8,
    VU_PCI_NUM_REGIONS = 9
};

enum vu_pci_irq {
    VU_PCI_INTX_IRQ = 0,
    VU_PCI_MSI_IRQ = 1,
    VU_PCI_MSIX_IRQ = 2,
    VU_PCI_ERR_IRQ = 3,
    VU_PCI_REQ_IRQ = 4,
    VU_PCI_NUM_IRQS = 5
};

/* ---- Sizes from the protocol tables ------------------------------------ */

VU_STATIC_ASSERT(sizeof(struct vu_hdr) == 16, "header is 16 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_version) == 4, "VERSION fixed part is 4 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_dma_map) == 32, "DMA_MAP is 32 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_dma_unmap) == 24, "DMA_UNMAP is 24 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_device_info) == 16, "DEVICE_GET_INFO is 16 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_region_info) == 32, "GET_REGION_INFO is 32 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_info_cap_hdr) == 8, "cap header is 8 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_sparse_mmap_area) == 16, "sparse area is 16 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_region_cap_sparse_mmap) == 16, "sparse cap is 16 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_region_cap_type) == 16, "type cap is 16 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_region_io_fds) == 16, "GET_REGION_IO_FDS is 16 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_sub_region_ioeventfd) == 40, "ioeventfd is 40 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_sub_region_ioregionfd) == 40, "ioregionfd is 40 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_irq_info) == 16, "GET_IRQ_INFO is 16 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_irq_set) == 20, "SET_IRQS is 20 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_region_access) == 16, "REGION_READ/WRITE is 16 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_dma_access) == 16, "DMA_READ/WRITE is 16 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_dma_access_qemu) == 12, "QEMU DMA layout is 12 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_region_write_multi_entry) == 24, "write multi entry is 24");
VU_STATIC_ASSERT(sizeof(struct vu_region_write_multi) == 8, "write multi count is 8");
VU_STATIC_ASSERT(sizeof(struct vu_device_feature) == 8, "DEVICE_FEATURE is 8 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_mig_data) == 8, "MIG_DATA is 8 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_feature_migration) == 8, "MIGRATION data is 8 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_feature_mig_state) == 8, "MIG_DEVICE_STATE data is 8 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_dma_logging_control) == 16, "logging control is 16 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_dma_logging_range) == 16, "logging range is 16 bytes");
VU_STATIC_ASSERT(sizeof(struct vu_dma_logging_report) == 24, "logging report is 24 bytes");

#ifdef __cplusplus
}
#endif

#endif /* VFIO_USER_PROTO_H */
