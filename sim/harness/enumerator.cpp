// Enumeration, all through config TLPs the bridge turns into region 7
// accesses, as a host's PCI core would do it: IDs, BAR sizing and
// assignment from the configured windows (memory; I/O BARs from the I/O
// window), capability walk, MPS/MRRS into the device's PCIe capability and
// the root port, Memory Space + Bus Master (+ I/O Space when an I/O BAR was
// assigned), then MSI-X, MSI or INTx (the eventfds handed over with SET_IRQS).
#include "harness.hpp"

#include <cerrno>
#include <cstdio>

namespace rcsim {

namespace {
constexpr uint16_t kCommand = 0x04, kStatus = 0x06, kCapPtr = 0x34, kIntPin = 0x3d;
constexpr uint16_t kRomBar = 0x30, kExtBase = 0x100;
constexpr uint8_t kCapMsi = 0x05, kCapPcie = 0x10, kCapMsix = 0x11;

uint64_t align_up(uint64_t v, uint64_t a) {
    return (v + a - 1) & ~(a - 1);
}
std::string hex(uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}
uint8_t size_code(unsigned bytes) {
    uint8_t c = 0;
    while ((128u << c) < bytes && c < 5)
        ++c;
    return c;
}

class Enumerator {
  public:
    Enumerator(Harness &h, Enumeration &e, std::string *error) : h_(h), e_(e), error_(error) {}

    int run() {
        int rc = ids();
        rc = rc ? rc : bars();
        rc = rc ? rc : rom();
        rc = rc ? rc : capabilities();
        rc = rc ? rc : ext_capabilities();
        rc = rc ? rc : link();
        rc = rc ? rc : command();
        rc = rc ? rc : interrupts();
        return rc;
    }

    // A switch at run time (harness_irq_setup.cpp): MSI or MSI-X only.
    int program(IrqMode mode, unsigned *vectors) {
        const int rc = mode == IrqMode::Msix ? msix(vectors) : msi(vectors);
        if (rc < 0)
            fail("programming the " + std::string(to_string(mode)) + " capability");
        return rc;
    }

  private:
    bool rd(uint16_t off, unsigned size, uint32_t *v) {
        const Access a = h_.cfg_read(off, size);
        *v = uint32_t(a.value);
        if (!a.ok())
            fail("config read at " + std::to_string(off) + " failed: " + to_string(a.status));
        return a.ok();
    }
    bool wr(uint16_t off, unsigned size, uint32_t v) {
        const HostStatus s = h_.cfg_write(off, size, v);
        if (s != HostStatus::SC)
            fail("config write at " + std::to_string(off) + " failed: " + to_string(s));
        return s == HostStatus::SC;
    }
    int fail(const std::string &why) {
        if (error_->empty())
            *error_ = "enumeration: " + why;
        return -EIO;
    }

    int ids() {
        uint32_t id = 0, cls = 0, pin = 0;
        if (!rd(0x00, 4, &id) || !rd(0x08, 4, &cls) || !rd(kIntPin, 1, &pin))
            return -EIO;
        // A server that sets no IDs (libvfio-user's null sample) reads 0.
        if (id == 0xffffffffu || id == 0)
            return fail("no device at the configured BDF: vendor and device ID read " +
                        std::string(id ? "0xffffffff" : "0x00000000"));
        e_.vendor_id = uint16_t(id);
        e_.device_id = uint16_t(id >> 16);
        e_.class_code = cls >> 8;
        e_.interrupt_pin = uint8_t(pin);
        return wr(kCommand, 2, 0) ? 0 : -EIO; // no decoding while sizing
    }

    int bars() {
        uint64_t next = h_.config().bar_window_base;
        const uint64_t end = next + h_.config().bar_window_size;
        for (unsigned i = 0; i < BarMap::kBars;) {
            const uint16_t reg = uint16_t(0x10 + 4 * i);
            uint32_t orig = 0, lo = 0, hi = 0;
            if (!rd(reg, 4, &orig) || !wr(reg, 4, 0xffffffffu) || !rd(reg, 4, &lo))
                return -EIO;
            Bar b;
            if (orig & 1) { // I/O: sized and assigned from the I/O window
                if (io_bar(i++, reg, lo) < 0)
                    return -EIO;
                continue;
            }
            b.is64 = ((orig >> 1) & 3) == 2;
            b.prefetchable = orig & 8;
            if (b.is64 && i + 1 == BarMap::kBars)
                return fail("BAR5 says 64-bit: it has no next BAR for its upper half");
            if (b.is64 &&
                (!wr(uint16_t(reg + 4), 4, 0xffffffffu) || !rd(uint16_t(reg + 4), 4, &hi)))
                return -EIO;
            const int rc = place_memory_bar(i, lo, hi, &b, &next, end);
            if (rc < 0)
                return rc;
            if (b.present && (!wr(reg, 4, uint32_t(b.base)) ||
                              (b.is64 && !wr(uint16_t(reg + 4), 4, uint32_t(b.base >> 32)))))
                return -EIO;
            e_.bars[i] = b;
            h_.bars().set(i, b);
            i += b.is64 ? 2 : 1;
        }
        bar_next_ = next;
        return 0;
    }

    // An I/O BAR: bits 31:2 of the all-ones read back give the size (a
    // device decoding 16 bits of I/O address may hardwire bits 31:16 to 0,
    // PCI Local Bus 3.0 6.2.5.1). Placed at the next aligned address of the
    // I/O window; one that does not fit is an error naming it.
    int io_bar(unsigned i, uint16_t reg, uint32_t lo) {
        Bar b;
        b.io = true;
        uint32_t mask = lo & ~3u;
        if (mask != 0 && (mask >> 16) == 0)
            mask |= 0xffff0000u;
        b.size = mask ? uint64_t(~mask) + 1 : 0;
        const std::string name = "BAR" + std::to_string(i) + " (I/O, " + hex(b.size) + " bytes)";
        if (b.size & (b.size - 1))
            return fail(name + ": size is not a power of two");
        if (b.size && planned(i, &b) < 0)
            return -EIO;
        if (b.size && !b.present) {
            const HarnessConfig &c = h_.config();
            const uint64_t end = uint64_t(c.io_window_base) + c.io_window_size;
            b.base = align_up(io_next_ ? io_next_ : c.io_window_base, b.size);
            if (b.base + b.size > end)
                return fail(name + " does not fit the I/O window " + hex(c.io_window_base) + ".." +
                            hex(end - 1) + " (" + hex(b.base - c.io_window_base) +
                            " bytes of it used or skipped for alignment)");
            if (b.size > 256)
                e_.notes.push_back(name +
                                   " is larger than the 256 bytes the PCI spec recommends for "
                                   "an I/O BAR; assigned anyway");
            io_next_ = b.base + b.size;
            b.present = true;
        }
        if (b.present && !wr(reg, 4, uint32_t(b.base)))
            return -EIO;
        e_.bars[i] = b;
        h_.bars().set(i, b);
        return 0;
    }

    // The expansion ROM BAR (type 0 header, 0x30): address bits 31:11 sized
    // like a 32-bit memory BAR, placed in the memory window, then enabled
    // (bit 0; decoding also needs Memory Space, set later).
    int rom() {
        // A device that refuses the sizing write has no ROM BAR to use
        // (libvfio-user, for one, takes only the mask, 0 and ~enable there).
        if (h_.cfg_write(kRomBar, 4, 0xfffff800u) != HostStatus::SC)
            return 0;
        uint32_t v = 0;
        if (!rd(kRomBar, 4, &v))
            return -EIO;
        const uint32_t mask = v & 0xfffff800u;
        if (mask == 0)
            return 0; // no ROM
        Bar b;
        b.size = uint64_t(uint32_t(~mask) | 0x7ffu) + 1;
        if (b.size & (b.size - 1))
            return fail("expansion ROM: size mask " + hex(mask) + " gives size " + hex(b.size) +
                        ", not a power of two");
        if (planned(BarMap::kRom, &b) < 0)
            return -EIO;
        if (!b.present)
            b.base = align_up(bar_next_, b.size);
        const uint64_t end = h_.config().bar_window_base + h_.config().bar_window_size;
        if (b.base + b.size > end)
            return fail("expansion ROM of size " + hex(b.size) +
                        " does not fit the memory window " + hex(h_.config().bar_window_base) +
                        "+" + hex(h_.config().bar_window_size));
        if (h_.cfg_write(kRomBar, 4, uint32_t(b.base) | 1u) != HostStatus::SC)
            return fail("expansion ROM: the device refused its base " + hex(b.base) +
                        " with the enable bit");
        bar_next_ = b.base + b.size;
        b.present = true;
        e_.rom = b;
        h_.bars().set(BarMap::kRom, b);
        return 0;
    }

    // The extended capability list from 0x100 (PCIe only: header ID 15:0,
    // version 19:16, next 31:20). A next pointer must be 0 (the end) or a DW
    // aligned offset in [0x100, 0x1000); one already visited is a loop. No
    // PCIe capability, or a UR at 0x100: a 256-byte config space.
    int ext_capabilities() {
        if (!e_.pcie_cap)
            return 0;
        const Access first = h_.cfg_read(kExtBase, 4);
        if (!first.ok())
            return 0;
        e_.config_size = 4096;
        std::vector<bool> seen(1024, false);
        unsigned ptr = kExtBase;
        uint32_t hdr = uint32_t(first.value);
        for (;;) {
            if (hdr == 0 || hdr == 0xffffffffu)
                return 0; // no (more) capabilities
            seen[ptr / 4] = true;
            e_.ext_caps.push_back({uint16_t(ptr), uint16_t(hdr), uint8_t((hdr >> 16) & 0xf)});
            const unsigned next = hdr >> 20;
            if (next == 0)
                return 0;
            if (next < kExtBase || (next & 3))
                return fail("extended capability at " + hex(ptr) + ": next pointer " + hex(next) +
                            (next < kExtBase ? " is below 0x100" : " is not DW aligned"));
            if (seen[next / 4])
                return fail("extended capability list loops: " + hex(ptr) + " points back to " +
                            hex(next));
            ptr = next;
            if (!rd(uint16_t(ptr), 4, &hdr))
                return -EIO;
        }
    }

    // Sizes a memory BAR from what reads back after writing all ones (low
    // and, for a 64-bit BAR, high DW) and places it: 64-bit prefetchable BARs
    // in the prefetchable window above 4 GiB, the rest in the BAR window. A
    // BAR reading back no writable address bit is not implemented.
    int place_memory_bar(unsigned i, uint32_t lo, uint32_t hi, Bar *b, uint64_t *next,
                         uint64_t end) {
        const uint64_t mask = (b->is64 ? uint64_t(hi) << 32 : 0xffffffff00000000ull) | (lo & ~0xfu);
        if ((lo & ~0xfu) == 0 && (!b->is64 || hi == 0))
            return 0;
        b->size = ~mask + 1;
        if (b->size & (b->size - 1))
            return fail(bar_name(i, *b) + ": size mask " +
                        hex(b->is64 ? mask : mask & 0xffffffffu) + " gives size " + hex(b->size) +
                        ", not a power of two");
        if (const int rc = planned(i, b); rc <= 0)
            return rc;
        uint64_t *cursor = next, limit = end;
        uint64_t wbase = h_.config().bar_window_base, wsize = h_.config().bar_window_size;
        const char *window = "memory window";
        if (b->is64 && b->prefetchable && h_.config().pref_window_size != 0) {
            cursor = &pref_next_;
            wbase = h_.config().pref_window_base;
            wsize = h_.config().pref_window_size;
            limit = wbase + wsize;
            window = "prefetchable window";
        }
        b->base = align_up(*cursor, b->size);
        if (b->base < *cursor || b->base + b->size > limit || b->base + b->size < b->base)
            return fail(bar_name(i, *b) + " of size " + hex(b->size) + " does not fit the " +
                        window + " " + hex(wbase) + "+" + hex(wsize));
        *cursor = b->base + b->size;
        b->present = true;
        return 0;
    }

    // A BAR the topology's plan placed (Harness::planned_bars): its address,
    // checked against the size found now. 1: none planned, place it here.
    int planned(unsigned i, Bar *b) {
        const auto it = h_.planned_bars().find(i);
        if (it == h_.planned_bars().end())
            return 1;
        if (it->second % b->size != 0)
            return fail("BAR" + std::to_string(i) + ": the planned address " + hex(it->second) +
                        " is not aligned to its size " + hex(b->size));
        b->base = it->second;
        b->present = true;
        return 0;
    }

    static std::string bar_name(unsigned i, const Bar &b) {
        return "BAR" + std::to_string(i) + " (" + (b.is64 ? "64-bit" : "32-bit") +
               (b.prefetchable ? " prefetchable" : "") + " memory)";
    }

    int capabilities() {
        uint32_t status = 0, ptr = 0;
        if (!rd(kStatus, 2, &status))
            return -EIO;
        if (!(status & 0x10))
            return 0;
        if (!rd(kCapPtr, 1, &ptr))
            return -EIO;
        for (unsigned hops = 0; (ptr & ~3u) != 0 && hops < 48; ++hops) {
            ptr &= ~3u;
            uint32_t hdr = 0;
            if (!rd(uint16_t(ptr), 2, &hdr))
                return -EIO;
            const uint8_t id = uint8_t(hdr);
            if (id == kCapPcie)
                e_.pcie_cap = ptr;
            else if (id == kCapMsi)
                e_.msi_cap = ptr;
            else if (id == kCapMsix)
                e_.msix_cap = ptr;
            ptr = hdr >> 8;
        }
        return 0;
    }

    // MPS: the smaller of what we want and what the device supports; the
    // same value goes to the root port (one MPS both ways).
    int link() {
        unsigned mps = 128;
        const unsigned mrrs = h_.config().mrrs;
        if (e_.pcie_cap) {
            const uint16_t p = uint16_t(e_.pcie_cap);
            uint32_t devcap = 0, devctl = 0;
            if (!rd(uint16_t(p + 4), 4, &devcap) || !rd(uint16_t(p + 8), 2, &devctl))
                return -EIO;
            mps = std::min(h_.config().mps, 128u << (devcap & 7));
            devctl &= ~((7u << 5) | (7u << 12));
            devctl |= unsigned(size_code(mps)) << 5 | unsigned(size_code(mrrs)) << 12;
            if (!wr(uint16_t(p + 8), 2, devctl))
                return -EIO;
        }
        e_.mps = mps;
        e_.mrrs = mrrs;
        h_.set_link(mps, mrrs);
        return 0;
    }

    int command() {
        uint16_t cmd = 0x0006; // Memory Space, Bus Master
        for (const Bar &b : e_.bars)
            if (b.io && b.present)
                cmd |= 0x0001; // I/O Space
        const bool msi_like = pick() == IrqMode::Msi || pick() == IrqMode::Msix;
        if (msi_like)
            cmd |= 0x0400; // INTx Disable
        return wr(kCommand, 2, cmd) ? 0 : -EIO;
    }

    // INTx of a topology's devices all assert INTA at the root port, which
    // cannot tell them apart (no requester on its pins): not set up there.
    IrqMode pick() const {
        const IrqMode m = pick_any();
        return m == IrqMode::Intx && h_.topology_run() ? IrqMode::None : m;
    }

    IrqMode pick_any() const {
        switch (h_.config().irq) {
        case IrqPreference::None:
            return IrqMode::None;
        case IrqPreference::Msix:
            return e_.msix_cap ? IrqMode::Msix : IrqMode::None;
        case IrqPreference::Msi:
            return e_.msi_cap ? IrqMode::Msi : IrqMode::None;
        case IrqPreference::Intx:
            return e_.interrupt_pin ? IrqMode::Intx : IrqMode::None;
        case IrqPreference::Auto:
            break;
        }
        if (e_.msix_cap)
            return IrqMode::Msix;
        if (e_.msi_cap)
            return IrqMode::Msi;
        return e_.interrupt_pin ? IrqMode::Intx : IrqMode::None;
    }

    int interrupts() {
        const IrqMode mode = pick();
        if (h_.config().irq != IrqPreference::Auto && h_.config().irq != IrqPreference::None &&
            mode == IrqMode::None)
            return fail("the device lacks the requested interrupt kind");
        unsigned vectors = 0;
        int rc = 0;
        if (mode == IrqMode::Msix)
            rc = msix(&vectors);
        else if (mode == IrqMode::Msi)
            rc = msi(&vectors);
        else if (mode == IrqMode::Intx)
            vectors = 1;
        if (rc < 0)
            return rc;
        if (!h_.drain())
            return fail("posted writes did not drain");
        std::string err;
        rc = h_.bridge()->setup_irqs(mode, vectors, &err);
        if (rc < 0)
            return fail(err);
        e_.irq_mode = mode;
        e_.irq_vectors = vectors;
        return 0;
    }

    int msix(unsigned *vectors) {
        const uint16_t c = uint16_t(e_.msix_cap);
        uint32_t ctrl = 0, table = 0, pba = 0;
        if (!rd(uint16_t(c + 2), 2, &ctrl) || !rd(uint16_t(c + 4), 4, &table) ||
            !rd(uint16_t(c + 8), 4, &pba))
            return -EIO;
        *vectors = (ctrl & 0x7ff) + 1;
        e_.msix_table_bar = table & 7;
        e_.msix_table_offset = table & ~7u;
        e_.msix_pba_bar = pba & 7;
        e_.msix_pba_offset = pba & ~7u;
        if (!h_.bars().get(e_.msix_table_bar).present)
            return fail("MSI-X table in an unassigned BAR");
        h_.bridge()->set_msix_table(e_.msix_table_bar, e_.msix_table_offset, *vectors);
        const uint64_t addr = h_.msi_address();
        for (unsigned v = 0; v < *vectors; ++v) {
            const uint64_t o = e_.msix_table_offset + 16ull * v;
            const unsigned b = e_.msix_table_bar;
            if (h_.mmio_write(b, o, 4, uint32_t(addr)) != HostStatus::SC ||
                h_.mmio_write(b, o + 4, 4, uint32_t(addr >> 32)) != HostStatus::SC ||
                h_.mmio_write(b, o + 8, 4, kMsiDataBase + v) != HostStatus::SC ||
                h_.mmio_write(b, o + 12, 4, 0) != HostStatus::SC)
                return fail("MSI-X table write refused");
        }
        return wr(uint16_t(c + 2), 2, (ctrl | 0x8000u) & ~0x4000u) ? 0 : -EIO;
    }

    int msi(unsigned *vectors) {
        const uint16_t c = uint16_t(e_.msi_cap);
        uint32_t ctrl = 0;
        if (!rd(uint16_t(c + 2), 2, &ctrl))
            return -EIO;
        const unsigned mmc = (ctrl >> 1) & 7;
        const bool is64 = ctrl & 0x80, pvm = ctrl & 0x100;
        *vectors = 1u << mmc;
        h_.bridge()->set_msi_cap(c);
        const uint64_t addr = h_.msi_address();
        bool ok = wr(uint16_t(c + 4), 4, uint32_t(addr));
        if (is64)
            ok = ok && wr(uint16_t(c + 8), 4, uint32_t(addr >> 32));
        ok = ok && wr(uint16_t(c + (is64 ? 0xc : 0x8)), 2, kMsiDataBase);
        if (pvm)
            ok = ok && wr(uint16_t(c + (is64 ? 0x10 : 0xc)), 4, 0);
        ok = ok && wr(uint16_t(c + 2), 2, (ctrl & ~0x70u) | mmc << 4 | 1u);
        return ok ? 0 : -EIO;
    }

    Harness &h_;
    Enumeration &e_;
    uint64_t pref_next_ = h_.config().pref_window_base;
    uint64_t bar_next_ = h_.config().bar_window_base; // after bars(): the ROM's start
    std::string *error_;
    uint64_t io_next_ = 0; // next free I/O address (0: none assigned yet)
};
} // namespace

int Harness::program_irq_capability(IrqMode kind, unsigned *vectors, std::string *error) {
    error->clear();
    return Enumerator(*this, dev_->enumeration, error).program(kind, vectors);
}

int Harness::enumerate(std::string *error) {
    if (!dev_->bridge) {
        *error = "enumerate: no server attached";
        return -ENOTCONN;
    }
    dev_->enumeration = Enumeration{};
    error->clear();
    return Enumerator(*this, dev_->enumeration, error).run();
}

} // namespace rcsim
