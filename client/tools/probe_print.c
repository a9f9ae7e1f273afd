/*
 * The printing half of vu-probe, shared with `rcsim probe`: negotiates with a
 * vfio-user server and prints what the device offers, like `lspci -v` does
 * for a PCI function: device info, regions, the config space header with its
 * capability list, IRQ counts. Exit 1 when any request failed or the server
 * broke the protocol; the probe stops at the first lost connection.
 */
#include "probe_print.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#define CONFIG_HEADER_SIZE 256u
#define CONFIG_SPACE_MAX 4096u
#define PCI_STATUS_CAP_LIST 0x10u
#define PCI_CAP_PTR 0x34u

static const char *const region_names[VU_PCI_NUM_REGIONS] = {
    "BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5", "ROM", "CONFIG", "VGA"};
static const char *const irq_names[VU_PCI_NUM_IRQS] = {"INTx", "MSI", "MSI-X", "ERR", "REQ"};

/* A request that failed: counted (exit 1), and once the connection is gone
 * (EOF, a stream that cannot be framed, a timeout) nothing more is asked.
 * Returns true when the probe should stop. */
struct probe {
    struct vuc_ctx *ctx;
    FILE *out, *err;
    const char *prog;
    unsigned failed;
};

static bool failed(struct probe *p, int rc) {
    p->failed++;
    if (vuc_connected(p->ctx) && rc != -ETIMEDOUT)
        return false;
    fprintf(p->err, "%s: connection lost (%s): stopping\n", p->prog, strerror(-rc));
    return true;
}

static const char *name_of(const char *const *names, unsigned n, uint32_t i) {
    return i < n ? names[i] : "?";
}

static uint32_t le(const uint8_t *p, unsigned n) {
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

/* Returns false when the probe should stop. */
static bool print_region(struct probe *p, uint32_t i) {
    FILE *out = p->out;
    struct vuc_region r;
    int rc = vuc_region_info(p->ctx, i, &r);
    if (rc < 0) {
        fprintf(out, "  region %u (%s): error %s\n", i,
                name_of(region_names, VU_PCI_NUM_REGIONS, i), strerror(-rc));
        return !failed(p, rc);
    }
    uint32_t f = r.info.flags;
    fprintf(out, "  region %u (%s): size 0x%" PRIx64 " flags 0x%x%s%s%s%s\n", i,
            name_of(region_names, VU_PCI_NUM_REGIONS, i), r.info.size, f,
            f & VU_REGION_F_READ ? " R" : "", f & VU_REGION_F_WRITE ? " W" : "",
            f & VU_REGION_F_MMAP ? " MMAP" : "", f & VU_REGION_F_CAPS ? " CAPS" : "");
    for (uint32_t a = 0; a < r.nr_areas_stored; a++)
        fprintf(out, "    sparse mmap area [0x%" PRIx64 ", +0x%" PRIx64 ")\n", r.areas[a].offset,
                r.areas[a].size);
    if (r.has_type)
        fprintf(out, "    type %u subtype %u\n", r.type, r.subtype);
    if (r.fd >= 0) {
        fprintf(out, "    mmap fd offered at offset 0x%" PRIx64 "\n", r.info.offset);
        close(r.fd);
    }
    return true;
}

static const char *cap_name(unsigned id) {
    switch (id) {
    case 0x01:
        return "Power Management";
    case 0x05:
        return "MSI";
    case 0x09:
        return "Vendor Specific";
    case 0x10:
        return "PCI Express";
    case 0x11:
        return "MSI-X";
    default:
        return "?";
    }
}

static void print_cap_list(FILE *out, const uint8_t *cfg) {
    if (!(le(cfg + 6, 2) & PCI_STATUS_CAP_LIST)) {
        fprintf(out, "  capabilities: none\n");
        return;
    }
    /* 48 caps fill the 192 bytes after the header: more means a loop. */
    unsigned ptr = cfg[PCI_CAP_PTR] & ~3u;
    for (int n = 0; ptr >= 0x40 && ptr < CONFIG_HEADER_SIZE - 1 && n < 48; n++) {
        fprintf(out, "  capability [0x%02x] id 0x%02x %s\n", ptr, cfg[ptr], cap_name(cfg[ptr]));
        ptr = cfg[ptr + 1] & ~3u;
    }
}

static const char *ext_cap_name(unsigned id) {
    switch (id) {
    case 0x0001:
        return "Advanced Error Reporting";
    case 0x0002:
        return "Virtual Channel";
    case 0x0003:
        return "Device Serial Number";
    case 0x0004:
        return "Power Budgeting";
    case 0x000b:
        return "Vendor-Specific";
    case 0x000d:
        return "Access Control Services";
    case 0x000e:
        return "Alternative Routing-ID";
    case 0x0010:
        return "SR-IOV";
    case 0x0015:
        return "Resizable BAR";
    case 0x0018:
        return "Latency Tolerance Reporting";
    case 0x0019:
        return "Secondary PCI Express";
    case 0x001e:
        return "L1 PM Substates";
    case 0x0023:
        return "Designated Vendor-Specific";
    default:
        return "?";
    }
}

static bool has_cap(const uint8_t *cfg, unsigned want) {
    if (!(le(cfg + 6, 2) & PCI_STATUS_CAP_LIST))
        return false;
    unsigned ptr = cfg[PCI_CAP_PTR] & ~3u;
    for (int n = 0; ptr >= 0x40 && ptr < CONFIG_HEADER_SIZE - 1 && n < 48; n++) {
        if (cfg[ptr] == want)
            return true;
        ptr = cfg[ptr + 1] & ~3u;
    }
    return false;
}

/* Why a next pointer cannot be followed, or NULL. */
static const char *bad_next(unsigned next, const bool *seen) {
    if (next < CONFIG_HEADER_SIZE)
        return "is below 0x100";
    if (next & 3)
        return "is not DW aligned";
    return seen[next / 4] ? "points back into the list (a loop)" : NULL;
}

/* PCIe extended capabilities from 0x100: u16 id, 4-bit version, 12-bit next
 * (always < 4096). With a 256-byte region 7, or without a PCIe capability
 * and nothing at 0x100, the device is conventional PCI: there is no
 * extended space to read (a VMM would answer a UR). A bad next pointer is a
 * failure naming the offset. */
static void print_ext_caps(struct probe *p, const uint8_t *cfg, size_t n) {
    FILE *out = p->out;
    uint32_t first = n > CONFIG_HEADER_SIZE ? le(cfg + CONFIG_HEADER_SIZE, 4) : 0;
    bool empty = first == 0 || first == 0xffffffffu;
    if (n <= CONFIG_HEADER_SIZE || (empty && !has_cap(cfg, 0x10))) {
        fprintf(out, "  config space: 256 bytes (conventional PCI)\n");
        return;
    }
    bool seen[CONFIG_SPACE_MAX / 4] = {false};
    for (unsigned ptr = CONFIG_HEADER_SIZE; ptr + 4 <= n;) {
        uint32_t h = le(cfg + ptr, 4);
        if (h == 0 || h == 0xffffffffu)
            return;
        seen[ptr / 4] = true;
        fprintf(out, "  extended capability [0x%03x] id 0x%04x version %u %s\n", ptr, h & 0xffff,
                (h >> 16) & 0xf, ext_cap_name(h & 0xffff));
        if ((h & 0xffff) == 0x0003 && ptr + 12 <= n)
            fprintf(out, "    serial number 0x%08x%08x\n", le(cfg + ptr + 8, 4),
                    le(cfg + ptr + 4, 4));
        unsigned next = h >> 20;
        const char *why = next ? bad_next(next, seen) : NULL;
        if (why) {
            fprintf(p->err, "%s: extended capability at 0x%03x: next pointer 0x%03x %s\n", p->prog,
                    ptr, next, why);
            p->failed++;
            return;
        }
        ptr = next ? next : (unsigned)n;
    }
}

static void print_bars(FILE *out, const uint8_t *cfg) {
    for (unsigned b = 0; b < 6; b++) {
        uint32_t v = le(cfg + 0x10 + 4 * b, 4);
        if (v & 1) {
            fprintf(out, "  BAR%u 0x%08x (I/O)\n", b, v);
            continue;
        }
        const char *pf = (v & 8) ? ", prefetchable" : "";
        if ((v & 6) == 4 && b < 5) { /* 64-bit: the next BAR is its upper half */
            uint64_t full = v | (uint64_t)le(cfg + 0x14 + 4 * b, 4) << 32;
            fprintf(out, "  BAR%u 0x%016" PRIx64 " (mem64%s, BAR%u upper half)\n", b, full, pf,
                    b + 1);
            b++;
            continue;
        }
        fprintf(out, "  BAR%u 0x%08x (mem32%s)\n", b, v, pf);
    }
}

/* Returns false when the probe should stop. */
static bool print_config(struct probe *p) {
    FILE *out = p->out;
    struct vuc_region r;
    int rc = vuc_region_info(p->ctx, VU_PCI_CONFIG_REGION, &r);
    if (rc < 0 || r.info.size < 64) {
        fprintf(out, "config space: not available\n");
        return rc < 0 ? !failed(p, rc) : true;
    }
    if (r.fd >= 0)
        close(r.fd);
    uint8_t cfg[CONFIG_SPACE_MAX];
    size_t n = r.info.size < sizeof(cfg) ? (size_t)r.info.size : sizeof(cfg);
    rc = vuc_region_read(p->ctx, VU_PCI_CONFIG_REGION, 0, cfg, n);
    if (rc < 0) {
        fprintf(out, "config space: read failed: %s\n", strerror(-rc));
        return !failed(p, rc);
    }
    fprintf(out, "config space (%zu bytes read):\n  vendor 0x%04x device 0x%04x\n", n, le(cfg, 2),
            le(cfg + 2, 2));
    fprintf(out, "  command 0x%04x status 0x%04x revision 0x%02x class 0x%06x header type 0x%02x\n",
            le(cfg + 4, 2), le(cfg + 6, 2), cfg[8], le(cfg + 9, 3), cfg[14]);
    fprintf(out, "  subsystem vendor 0x%04x subsystem 0x%04x\n", le(cfg + 0x2c, 2),
            le(cfg + 0x2e, 2));
    if ((cfg[14] & 0x7f) == 0)
        print_bars(out, cfg);
    fprintf(out, "  interrupt pin %u line %u\n", cfg[0x3d], cfg[0x3c]);
    if (n >= CONFIG_HEADER_SIZE)
        print_cap_list(out, cfg);
    if (n >= CONFIG_HEADER_SIZE)
        print_ext_caps(p, cfg, n);
    return true;
}

static void print_irqs(struct probe *p, uint32_t num) {
    for (uint32_t i = 0; i < num; i++) {
        struct vu_irq_info info;
        int rc = vuc_irq_info(p->ctx, i, &info);
        const char *name = name_of(irq_names, VU_PCI_NUM_IRQS, i);
        if (rc == 0) {
            fprintf(p->out, "  irq %u (%s): count %u flags 0x%x\n", i, name, info.count,
                    info.flags);
            continue;
        }
        fprintf(p->out, "  irq %u (%s): error %s\n", i, name, strerror(-rc));
        if (failed(p, rc))
            return;
    }
}

/* Migration v2 and dirty page logging (DEVICE_FEATURE). A server without
 * them refuses the probe (libvfio-user and ours: EINVAL or ENOSYS), which
 * is an answer, not a failed request; a refused GET after an accepted
 * probe is one. */
static void print_features(struct probe *p) {
    int rc = vuc_feature_probe(p->ctx, VU_FEATURE_MIGRATION, VU_DEVICE_FEATURE_GET);
    if (rc < 0) {
        fprintf(p->out, "migration: not offered (%s)\n", strerror(-rc));
        if (!vuc_connected(p->ctx) && failed(p, rc))
            return;
    } else {
        uint64_t flags = 0;
        uint32_t state = 0;
        if ((rc = vuc_mig_get_flags(p->ctx, &flags)) < 0 ||
            (rc = vuc_mig_get_state(p->ctx, &state)) < 0) {
            fprintf(p->out, "migration: error %s\n", strerror(-rc));
            if (failed(p, rc))
                return;
        } else {
            fprintf(p->out, "migration: flags 0x%llx%s%s%s, device state %s\n",
                    (unsigned long long)flags, (flags & VU_MIGRATION_STOP_COPY) ? " STOP_COPY" : "",
                    (flags & VU_MIGRATION_P2P) ? " P2P" : "",
                    (flags & VU_MIGRATION_PRE_COPY) ? " PRE_COPY" : "", vuc_mig_state_name(state));
        }
    }
    rc = vuc_feature_probe(p->ctx, VU_FEATURE_DMA_LOGGING_START, VU_DEVICE_FEATURE_SET);
    if (rc == 0)
        rc = vuc_feature_probe(p->ctx, VU_FEATURE_DMA_LOGGING_REPORT, VU_DEVICE_FEATURE_GET);
    if (rc == 0)
        fprintf(p->out, "dirty page logging: offered (start, stop, report)\n");
    else
        fprintf(p->out, "dirty page logging: not offered (%s)\n", strerror(-rc));
    if (rc < 0 && !vuc_connected(p->ctx))
        failed(p, rc);
}

/* Violations that fail no request (a reply nobody asked for) still fail
 * the probe. */
static void report_problem(struct probe *p) {
    const char *why = vuc_protocol_problem(p->ctx);
    struct vuc_stats st;
    vuc_get_stats(p->ctx, &st);
    if (why)
        fprintf(p->err, "%s: protocol error: %s\n", p->prog, why);
    if (st.dropped_replies > 0)
        p->failed++;
}

int vu_probe_print(struct vuc_ctx *ctx, FILE *out, FILE *err, const char *prog) {
    const struct vuc_server_caps *c = vuc_get_server_caps(ctx);
    fprintf(out, "vfio-user %u.%u max_msg_fds %u max_data_xfer_size %" PRIu64 " twin socket %s\n",
            c->major, c->minor, c->max_msg_fds, c->max_data_xfer_size,
            c->twin_socket ? "yes" : "no");
    struct probe p = {.ctx = ctx, .out = out, .err = err, .prog = prog};
    struct vu_device_info info;
    int rc = vuc_device_get_info(ctx, &info);
    if (rc < 0) {
        fprintf(err, "%s: DEVICE_GET_INFO failed: %s\n", prog, strerror(-rc));
        report_problem(&p);
        return 1;
    }
    fprintf(out, "device: flags 0x%x%s%s regions %u irqs %u\n", info.flags,
            info.flags & VU_DEV_F_RESET ? " RESET" : "", info.flags & VU_DEV_F_PCI ? " PCI" : "",
            info.num_regions, info.num_irqs);
    fprintf(out, "regions:\n");
    bool go_on = true;
    for (uint32_t i = 0; go_on && i < info.num_regions; i++)
        go_on = print_region(&p, i);
    if (go_on)
        go_on = print_config(&p);
    if (go_on) {
        fprintf(out, "irqs:\n");
        print_irqs(&p, info.num_irqs);
    }
    if (go_on && vuc_connected(ctx))
        print_features(&p);
    report_problem(&p);
    if (p.failed)
        fprintf(err, "%s: %u request%s failed\n", prog, p.failed, p.failed == 1 ? "" : "s");
    return p.failed ? 1 : 0;
}

int vu_probe_socket(const char *path, bool no_twin, FILE *out, FILE *err, const char *prog) {
    struct vuc_options opts;
    vuc_options_init(&opts);
    opts.no_twin = no_twin;
    struct vuc_ctx *ctx = vuc_create(&opts);
    if (!ctx) {
        fprintf(err, "%s: out of memory\n", prog);
        return 2;
    }
    int rc = vuc_connect(ctx, path);
    if (rc == 0 && (rc = vuc_negotiate(ctx)) < 0) {
        const char *why = vuc_protocol_problem(ctx);
        fprintf(err, "%s: VERSION negotiation with %s failed: %s%s%s\n", prog, path, strerror(-rc),
                why ? ": " : "", why ? why : "");
    } else if (rc < 0)
        fprintf(err, "%s: cannot connect to %s: %s\n", prog, path, strerror(-rc));
    int status = rc < 0 ? 2 : vu_probe_print(ctx, out, err, prog);
    vuc_destroy(ctx);
    return status;
}
