// IRQ set-up changes at run time, as a driver makes them after probe: a
// vector masked where the PCI spec puts its mask (the MSI-X table's Vector
// Control, MSI's Mask Bits, the Command register's Interrupt Disable), and
// a switch to another interrupt kind (a driver falling back from MSI-X to
// MSI or INTx, or freeing its interrupts). The config and table writes are
// TLPs through the root port; the SET_IRQS messages go through the bridge
// and are admitted like any other, so under `rcsim explore` a DMA or an
// interrupt of the server may cross them.
#include "harness.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/eventfd.h>
#include <unistd.h>

namespace rcsim {

namespace {
constexpr uint16_t kCommand = 0x04;
constexpr uint32_t kIntxDisable = 0x0400; // Command bit 10
constexpr uint32_t kMsixEnable = 0x8000;  // MSI-X Message Control bit 15
constexpr uint32_t kMsiEnable = 0x0001;   // MSI Message Control bit 0
constexpr uint32_t kMsiPerVectorMask = 0x0100;
constexpr uint32_t kMsi64 = 0x0080;

const char *kind_name(IrqMode m) {
    switch (m) {
    case IrqMode::Msix:
        return "MSI-X";
    case IrqMode::Msi:
        return "MSI";
    case IrqMode::Intx:
        return "INTx";
    case IrqMode::None:
        break;
    }
    return "no interrupts";
}

uint32_t irq_index(IrqMode m) {
    return m == IrqMode::Intx  ? VU_PCI_INTX_IRQ
           : m == IrqMode::Msi ? VU_PCI_MSI_IRQ
                               : VU_PCI_MSIX_IRQ;
}

std::string hex(uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}
} // namespace

// Read-modify-write of a config register, failing with the register named.
int Harness::cfg_update(uint16_t offset, unsigned size, uint32_t set, uint32_t clear,
                        const std::string &what, std::string *error) {
    const Access a = cfg_read(offset, size);
    if (!a.ok()) {
        *error =
            "reading " + what + " (cfg " + hex(offset) + ") completed with " + to_string(a.status);
        return -EIO;
    }
    const HostStatus s = cfg_write(offset, size, (uint32_t(a.value) & ~clear) | set);
    if (s != HostStatus::SC) {
        *error = "writing " + what + " (cfg " + hex(offset) + ") completed with " + to_string(s);
        return -EIO;
    }
    return 0;
}

int Harness::irq_mask(IrqMode kind, unsigned vector, bool mask, uint64_t max_cycles,
                      std::string *error) {
    if (!dev_->bridge) {
        *error = "not connected to a server";
        return -ENOTCONN;
    }
    if (kind != dev_->enumeration.irq_mode) {
        *error = std::string("the device's interrupts are set up as ") +
                 kind_name(dev_->enumeration.irq_mode) + ", not " + kind_name(kind) +
                 " (rcsim run --irq, or switch-irq)";
        return -EINVAL;
    }
    const unsigned vectors = kind == IrqMode::Intx ? 1 : dev_->enumeration.irq_vectors;
    if (vector >= vectors) {
        *error = "vector " + std::to_string(vector) + " does not exist (the device has " +
                 std::to_string(vectors) + ")";
        return -EINVAL;
    }
    int rc = 0;
    if (kind == IrqMode::Msix) {
        // Vector Control is the entry's last DW; bit 0 is its Mask Bit.
        const uint64_t at = dev_->enumeration.msix_table_offset + 16ull * vector + 12;
        if (mmio_write(dev_->enumeration.msix_table_bar, at, 4, mask ? 1 : 0) != HostStatus::SC) {
            *error = "the MSI-X table write (BAR" +
                     std::to_string(dev_->enumeration.msix_table_bar) + " " + hex(at) +
                     ") was not accepted";
            return -EIO;
        }
    } else if (kind == IrqMode::Msi) {
        const uint16_t c = uint16_t(dev_->enumeration.msi_cap);
        const Access ctrl = cfg_read(uint16_t(c + 2), 2);
        if (!ctrl.ok()) {
            *error =
                std::string("reading MSI Message Control completed with ") + to_string(ctrl.status);
            return -EIO;
        }
        if (!(ctrl.value & kMsiPerVectorMask)) {
            *error = "the device's MSI capability (cfg " + hex(c) +
                     ") has no per-vector masking: Message Control " + hex(ctrl.value) +
                     ", bit 8 (Per-Vector Masking Capable) clear";
            return -EOPNOTSUPP;
        }
        const uint16_t bits = uint16_t(c + ((ctrl.value & kMsi64) ? 0x10 : 0x0c));
        rc = cfg_update(bits, 4, mask ? 1u << vector : 0, mask ? 0 : 1u << vector, "MSI Mask Bits",
                        error);
    } else {
        rc = cfg_update(kCommand, 2, mask ? kIntxDisable : 0, mask ? 0 : kIntxDisable, "Command",
                        error);
    }
    if (rc < 0)
        return rc;
    flush_posted(max_cycles);
    return 0;
}

// SET_IRQS of `kind` through the bridge: `fds` eventfds for IRQs 0.., in
// batches of the server's max_msg_fds; none: DATA_NONE | ACTION_TRIGGER
// with count 0, which releases the index's eventfds (VFIO's disable).
int Harness::send_set_irqs(IrqMode kind, const std::vector<int> &fds, uint64_t max_cycles,
                           std::string *error) {
    const vuc_server_caps *caps = vuc_get_server_caps(dev_->ctx);
    const size_t batch = caps && caps->max_msg_fds ? caps->max_msg_fds : 1;
    size_t start = 0;
    do {
        const size_t n = std::min(batch, fds.size() - start);
        vu_irq_set s{};
        s.argsz = sizeof s;
        s.flags = VU_IRQ_SET_ACTION_TRIGGER | (n ? VU_IRQ_SET_DATA_EVENTFD : VU_IRQ_SET_DATA_NONE);
        s.index = irq_index(kind);
        s.start = uint32_t(start);
        s.count = uint32_t(n);
        vuc_request req{};
        req.cmd = VU_CMD_DEVICE_SET_IRQS;
        req.payload = &s;
        req.payload_len = sizeof s;
        req.fds = n ? &fds[start] : nullptr;
        req.nfds = unsigned(n);
        const std::string what = std::string("SET_IRQS (") + kind_name(kind) +
                                 (n ? ", " + std::to_string(n) + " eventfds" : ", off") + ")";
        const int rc = host_command(req, what, max_cycles, error);
        if (rc < 0)
            return rc;
        start += n;
    } while (start < fds.size());
    return 0;
}

// Off in config space first (no new message can be signalled), then the
// eventfds released; the new kind is programmed as enumeration does it and
// gets fresh eventfds. Interrupts of the old kind not yet waited for are
// dropped, as a driver that switched no longer looks for them.
int Harness::irq_switch(IrqMode kind, uint64_t max_cycles, std::string *error) {
    if (!dev_->bridge) {
        *error = "not connected to a server";
        return -ENOTCONN;
    }
    if (kind == dev_->enumeration.irq_mode) {
        *error =
            std::string("the device's interrupts are set up as ") + kind_name(kind) + " already";
        return -EALREADY;
    }
    if (kind == IrqMode::Intx && topology_run()) {
        *error = "INTx of a topology's devices cannot be told apart at the root port (use MSI or "
                 "MSI-X)";
        return -EOPNOTSUPP;
    }
    if ((kind == IrqMode::Msix && !dev_->enumeration.msix_cap) ||
        (kind == IrqMode::Msi && !dev_->enumeration.msi_cap) ||
        (kind == IrqMode::Intx && !dev_->enumeration.interrupt_pin)) {
        *error = std::string("the device has no ") + kind_name(kind) +
                 (kind == IrqMode::Intx ? " (Interrupt Pin reads 0)" : " capability");
        return -EOPNOTSUPP;
    }
    int rc = irq_disable(max_cycles, error);
    if (rc < 0 || kind == IrqMode::None)
        return rc;
    unsigned vectors = 1;
    if (kind != IrqMode::Intx)
        rc = program_irq_capability(kind, &vectors, error);
    else
        rc = cfg_update(kCommand, 2, 0, kIntxDisable, "Command", error);
    if (rc < 0)
        return rc;
    if ((rc = arm_irqs(kind, vectors, max_cycles, error)) == 0)
        forget_pending_irqs(vectors);
    return rc;
}

// Fresh eventfds for `vectors` IRQs of `kind`, sent by SET_IRQS and given
// to the bridge.
int Harness::arm_irqs(IrqMode kind, unsigned vectors, uint64_t max_cycles, std::string *error) {
    int rc = 0;
    std::vector<int> fds;
    for (unsigned v = 0; v < vectors; ++v) {
        const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fd < 0) {
            rc = -errno;
            *error = std::string("eventfd: ") + strerror(-rc);
            break;
        }
        fds.push_back(fd);
    }
    rc = rc < 0 ? rc : send_set_irqs(kind, fds, max_cycles, error);
    if (rc < 0) {
        for (int fd : fds)
            close(fd);
        return rc;
    }
    dev_->bridge->adopt_irqs(kind, std::move(fds));
    dev_->enumeration.irq_mode = kind;
    dev_->enumeration.irq_vectors = vectors;
    return 0;
}

// Interrupts of the old set-up not yet waited for are dropped.
void Harness::forget_pending_irqs(unsigned vectors) {
    dev_->irq_consumed.assign(vectors, 0);
    for (const MsiEvent &e : driver_.msi_events())
        if (e.addr == dev_->msi_address && e.data >= kMsiDataBase &&
            e.data < kMsiDataBase + vectors)
            ++dev_->irq_consumed[e.data - kMsiDataBase];
    dev_->intx_consumed = driver_.intx_rises(0);
}

int Harness::irq_disable(uint64_t max_cycles, std::string *error) {
    const IrqMode old = dev_->enumeration.irq_mode;
    int rc = 0;
    if (old == IrqMode::Msix)
        rc = cfg_update(uint16_t(dev_->enumeration.msix_cap + 2), 2, 0, kMsixEnable,
                        "MSI-X Message Control", error);
    else if (old == IrqMode::Msi)
        rc = cfg_update(uint16_t(dev_->enumeration.msi_cap + 2), 2, 0, kMsiEnable,
                        "MSI Message Control", error);
    else if (old == IrqMode::Intx)
        rc = cfg_update(kCommand, 2, kIntxDisable, 0, "Command", error);
    if (rc < 0 || old == IrqMode::None)
        return rc;
    rc = send_set_irqs(old, {}, max_cycles, error);
    if (rc < 0)
        return rc;
    dev_->bridge->adopt_irqs(IrqMode::None, {});
    dev_->enumeration.irq_mode = IrqMode::None;
    dev_->enumeration.irq_vectors = 0;
    return 0;
}

} // namespace rcsim
