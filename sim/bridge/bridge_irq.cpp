// Interrupts: the eventfds handed to the server in SET_IRQS are read at
// admission points (a count: signals merge); each admitted signal becomes the
// MSI/MSI-X memory write the host programmed (from the harness's shadow of
// the host's own config and table writes, never read back from the server)
// or an Assert_INTx message, injected into the root port.
#include "bridge.hpp"

#include <cerrno>
#include <cstring>
#include <sys/eventfd.h>
#include <unistd.h>

namespace rcsim {

const char *to_string(IrqMode m) {
    switch (m) {
    case IrqMode::None:
        return "none";
    case IrqMode::Intx:
        return "intx";
    case IrqMode::Msi:
        return "msi";
    case IrqMode::Msix:
        return "msix";
    }
    return "?";
}

namespace {
uint32_t le32(const uint8_t *p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
} // namespace

int Bridge::setup_irqs(IrqMode mode, unsigned vectors, std::string *error) {
    if (mode == IrqMode::None || vectors == 0) {
        irq_mode_ = IrqMode::None;
        return 0;
    }
    std::vector<int> fds;
    for (unsigned v = 0; v < vectors; ++v) {
        const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fd < 0) {
            const int e = errno;
            for (int f : fds)
                close(f);
            *error = std::string("eventfd: ") + strerror(e);
            return -e;
        }
        fds.push_back(fd);
    }
    const uint32_t index = mode == IrqMode::Intx  ? VU_PCI_INTX_IRQ
                           : mode == IrqMode::Msi ? VU_PCI_MSI_IRQ
                                                  : VU_PCI_MSIX_IRQ;
    const int rc = vuc_set_irqs_eventfd(ctx_, index, 0, vectors, fds.data());
    if (rc < 0) {
        for (int f : fds)
            close(f);
        *error = std::string("SET_IRQS (") + to_string(mode) + ") failed: " + strerror(-rc);
        return rc;
    }
    irq_fds_ = std::move(fds);
    irq_mode_ = mode;
    return 0;
}

void Bridge::adopt_irqs(IrqMode mode, std::vector<int> fds) {
    for (int f : irq_fds_)
        close(f);
    irq_fds_ = std::move(fds);
    irq_mode_ = irq_fds_.empty() ? IrqMode::None : mode;
}

std::vector<IrqSignal> Bridge::read_irq_fds() {
    std::vector<IrqSignal> v;
    for (size_t i = 0; i < irq_fds_.size(); ++i) {
        uint64_t count = 0;
        if (read(irq_fds_[i], &count, sizeof count) == ssize_t(sizeof count) && count > 0)
            v.push_back({unsigned(i), count});
    }
    return v;
}

void Bridge::set_msix_table(unsigned bar, uint64_t offset, unsigned vectors) {
    msix_bar_ = bar;
    msix_offset_ = offset;
    msix_vectors_ = vectors;
    msix_shadow_.assign(size_t(vectors) * 16, 0);
}

void Bridge::inject_irq(unsigned vector) {
    uint64_t addr = 0;
    uint32_t data = 0;
    switch (irq_mode_) {
    case IrqMode::None:
        return;
    case IrqMode::Intx:
        ++counters_.irqs_injected;
        inject(tlp::Tlp::intx(tlp::MsgCode::AssertIntA, device_bdf_));
        return;
    case IrqMode::Msix: {
        if (vector >= msix_vectors_)
            return note_failure("MSI-X signal for vector " + std::to_string(vector) +
                                " beyond the table");
        const uint8_t *e = &msix_shadow_[size_t(vector) * 16];
        addr = uint64_t(le32(e)) | uint64_t(le32(e + 4)) << 32;
        data = le32(e + 8);
        break;
    }
    case IrqMode::Msi: {
        const uint8_t *c = &cfg_shadow_[msi_cap_];
        const uint16_t ctrl = uint16_t(c[2] | c[3] << 8);
        const bool is64 = ctrl & 0x80;
        addr = le32(c + 4) | (is64 ? uint64_t(le32(c + 8)) << 32 : 0);
        const uint8_t *d = c + (is64 ? 0xc : 0x8);
        const unsigned mme = (ctrl >> 4) & 7;
        data = (uint32_t(d[0] | d[1] << 8) & ~((1u << mme) - 1)) | (vector & ((1u << mme) - 1));
        break;
    }
    }
    if (addr == 0)
        return note_failure("interrupt on vector " + std::to_string(vector) +
                            " that the host never programmed");
    ++counters_.irqs_injected;
    const std::vector<uint8_t> bytes{uint8_t(data), uint8_t(data >> 8), uint8_t(data >> 16),
                                     uint8_t(data >> 24)};
    inject(tlp::Tlp::mem_write(addr, bytes, device_bdf_));
}

void Bridge::intx_ack() {
    ++counters_.intx_acks;
    inject(tlp::Tlp::intx(tlp::MsgCode::DeassertIntA, device_bdf_));
    vu_irq_set s{};
    s.argsz = sizeof s;
    s.flags = VU_IRQ_SET_DATA_NONE | VU_IRQ_SET_ACTION_UNMASK;
    s.index = VU_PCI_INTX_IRQ;
    s.start = 0;
    s.count = 1;
    vuc_request req{};
    req.cmd = VU_CMD_DEVICE_SET_IRQS;
    req.payload = &s;
    req.payload_len = sizeof s;
    vuc_id id = 0;
    const int rc = vuc_submit(ctx_, &req, 0, &id);
    if (rc < 0)
        return note_failure("SET_IRQS unmask could not be sent: errno " + std::to_string(-rc));
    track(id, {Kind::HostCmd, tlp::Tlp{}, 0, false, "SET_IRQS unmask"});
}

} // namespace rcsim
