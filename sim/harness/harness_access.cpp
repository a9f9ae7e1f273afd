// The host's accesses through the root port (memory, MMIO by BAR, I/O
// space, configuration space) and waiting for an interrupt.
#include "harness.hpp"

#include <algorithm>
#include <cstring>

namespace rcsim {

HostRequest Harness::mem_request(HostOp op, uint64_t addr, unsigned size, uint64_t value,
                                 unsigned *lead) {
    HostRequest r;
    r.op = op;
    *lead = unsigned(addr & 3);
    r.addr = addr & ~uint64_t(3);
    r.len_dw = (*lead + size + 3) / 4;
    const uint32_t mask = ((1u << size) - 1) << *lead;
    r.first_be = mask & 0xf;
    r.last_be = r.len_dw > 1 ? (mask >> (4 * (r.len_dw - 1))) & 0xf : 0;
    if (op == HostOp::MemWr) {
        std::vector<uint8_t> bytes(size_t(r.len_dw) * 4, 0);
        for (unsigned i = 0; i < size; ++i)
            bytes[*lead + i] = uint8_t(value >> (8 * i));
        for (unsigned k = 0; k < r.len_dw; ++k)
            r.data.push_back(uint32_t(bytes[4 * k]) | uint32_t(bytes[4 * k + 1]) << 8 |
                             uint32_t(bytes[4 * k + 2]) << 16 | uint32_t(bytes[4 * k + 3]) << 24);
    }
    return r;
}

Access Harness::host_access(HostRequest r, unsigned lead, unsigned size) {
    const bool posted = r.op == HostOp::MemWr;
    if (posted)
        dev_->posted_dws_sent += r.len_dw;
    const uint8_t label = driver_.submit(std::move(r));
    std::optional<HostResponse> rsp;
    const uint64_t limit = uint64_t(cfg_.cpl_timeout) * 4 + 100000;
    const bool ok = advance(
        [&] {
            if (posted)
                return !driver_.busy();
            if (!rsp) // done() is asked more than once per edge: keep what it took
                rsp = driver_.take_response(label);
            return rsp.has_value();
        },
        limit);
    Access a;
    if (!ok) {
        failures_.push_back("host access got no response within " + std::to_string(limit) +
                            " cycles");
        a.status = HostStatus::Timeout;
        return a;
    }
    if (posted)
        return a;
    a.status = rsp->status;
    for (unsigned i = 0; i < size && i < 8; ++i) {
        const unsigned b = lead + i;
        if (b / 4 < rsp->dws.size())
            a.value |= uint64_t((rsp->dws[b / 4] >> (8 * (b % 4))) & 0xff) << (8 * i);
    }
    return a;
}

HostRequest Harness::block_request(HostOp op, uint64_t addr, size_t len, const uint8_t *data) {
    HostRequest r;
    r.op = op;
    const unsigned lead = unsigned(addr & 3);
    r.addr = addr & ~uint64_t(3);
    r.len_dw = unsigned((lead + len + 3) / 4);
    const unsigned end = unsigned(lead + len - 4 * (r.len_dw - 1)); // bytes used in the last DW
    if (r.len_dw == 1) {
        r.first_be = uint8_t(((1u << len) - 1) << lead);
        r.last_be = 0;
    } else {
        r.first_be = uint8_t((0xfu << lead) & 0xf);
        r.last_be = uint8_t((1u << end) - 1);
    }
    if (data) {
        std::vector<uint8_t> bytes(size_t(r.len_dw) * 4, 0);
        memcpy(&bytes[lead], data, len);
        r.data.resize(r.len_dw);
        memcpy(r.data.data(), bytes.data(), bytes.size()); // payload DWs are little-endian
    }
    return r;
}

HostStatus Harness::mmio_read_block(unsigned bar, uint64_t offset, void *buf, size_t len) {
    if (bar >= BarMap::kEntries || !dev_->bars.get(bar).present || len == 0 || len > 4096)
        return HostStatus::BadReq;
    const uint64_t addr = dev_->bars.get(bar).base + offset;
    const uint8_t label = driver_.submit(block_request(HostOp::MemRd, addr, len, nullptr));
    std::optional<HostResponse> rsp;
    const bool ok = advance(
        [&] {
            if (!rsp)
                rsp = driver_.take_response(label);
            return rsp.has_value();
        },
        uint64_t(cfg_.cpl_timeout) * 4 + 100000);
    if (!ok) {
        failures_.push_back("block read got no response");
        return HostStatus::Timeout;
    }
    std::vector<uint8_t> bytes(rsp->dws.size() * 4);
    memcpy(bytes.data(), rsp->dws.data(), bytes.size());
    const size_t lead = size_t(addr & 3);
    if (bytes.size() >= lead + len)
        memcpy(buf, &bytes[lead], len);
    return rsp->status;
}

HostStatus Harness::mmio_write_block(unsigned bar, uint64_t offset, const void *buf, size_t len) {
    if (bar >= BarMap::kEntries || !dev_->bars.get(bar).present || len == 0 || len > 4096)
        return HostStatus::BadReq;
    const uint64_t addr = dev_->bars.get(bar).base + offset;
    HostRequest r = block_request(HostOp::MemWr, addr, len, static_cast<const uint8_t *>(buf));
    dev_->posted_dws_sent += r.len_dw;
    driver_.submit(std::move(r));
    return advance([&] { return !driver_.busy(); }, uint64_t(cfg_.cpl_timeout) * 4 + 100000)
               ? HostStatus::SC
               : HostStatus::Timeout;
}

Access Harness::mem_read(uint64_t addr, unsigned size) {
    unsigned lead = 0;
    if (size == 0 || size > 8)
        return {HostStatus::BadReq, 0};
    HostRequest r = mem_request(HostOp::MemRd, addr, size, 0, &lead);
    return host_access(std::move(r), lead, size);
}

HostStatus Harness::mem_write(uint64_t addr, unsigned size, uint64_t value) {
    unsigned lead = 0;
    if (size == 0 || size > 8)
        return HostStatus::BadReq;
    HostRequest r = mem_request(HostOp::MemWr, addr, size, value, &lead);
    return host_access(std::move(r), lead, size).status;
}

Access Harness::mmio_read(unsigned bar, uint64_t offset, unsigned size) {
    if (bar >= BarMap::kEntries || !dev_->bars.get(bar).present)
        return {HostStatus::BadReq, 0};
    const Bar &b = dev_->bars.get(bar);
    if (b.io)
        return offset >= b.size ? Access{HostStatus::BadReq, 0}
                                : io_read(uint32_t(b.base + offset), size);
    return mem_read(b.base + offset, size);
}

HostStatus Harness::mmio_write(unsigned bar, uint64_t offset, unsigned size, uint64_t value) {
    if (bar >= BarMap::kEntries || !dev_->bars.get(bar).present)
        return HostStatus::BadReq;
    const Bar &b = dev_->bars.get(bar);
    if (b.io)
        return offset >= b.size ? HostStatus::BadReq
                                : io_write(uint32_t(b.base + offset), size, uint32_t(value));
    return mem_write(b.base + offset, size, value);
}

namespace {
// One IORd/IOWr: the DW holding `port`, byte enables for `size` bytes.
HostRequest io_request(HostOp op, uint32_t port, unsigned size) {
    HostRequest r;
    r.op = op;
    r.addr = port & ~3u;
    r.len_dw = 1;
    r.first_be = uint8_t(((1u << size) - 1) << (port & 3));
    r.last_be = 0;
    return r;
}
bool io_size_ok(uint32_t port, unsigned size) {
    return (size == 1 || size == 2 || size == 4) && (port & 3) + size <= 4;
}
} // namespace

Access Harness::io_read(uint32_t port, unsigned size) {
    if (!io_size_ok(port, size))
        return {HostStatus::BadReq, 0};
    return host_access(io_request(HostOp::IoRd, port, size), port & 3, size);
}

HostStatus Harness::io_write(uint32_t port, unsigned size, uint32_t value) {
    if (!io_size_ok(port, size))
        return HostStatus::BadReq;
    HostRequest r = io_request(HostOp::IoWr, port, size);
    r.data = {uint32_t(uint64_t(value) << (8 * (port & 3)))};
    return host_access(std::move(r), port & 3, size).status;
}

Access Harness::cfg_read(uint16_t offset, unsigned size) {
    const unsigned lead = offset & 3;
    if (size == 0 || lead + size > 4)
        return {HostStatus::BadReq, 0};
    HostRequest r;
    r.op = HostOp::CfgRd;
    r.bdf = cfg_.device_bdf;
    r.reg = uint16_t(offset >> 2);
    r.first_be = uint8_t(((1u << size) - 1) << lead);
    return host_access(std::move(r), lead, size);
}

HostStatus Harness::cfg_write(uint16_t offset, unsigned size, uint32_t value) {
    const unsigned lead = offset & 3;
    if (size == 0 || lead + size > 4)
        return HostStatus::BadReq;
    HostRequest r;
    r.op = HostOp::CfgWr;
    r.bdf = cfg_.device_bdf;
    r.reg = uint16_t(offset >> 2);
    r.first_be = uint8_t(((1u << size) - 1) << lead);
    r.data = {uint32_t(uint64_t(value) << (8 * lead))};
    const HostStatus st = host_access(std::move(r), lead, size).status;
    if (st == HostStatus::SC) // what the driver programmed (harness_handover.cpp)
        for (unsigned i = 0; i < size; ++i)
            dev_->cfg_written[uint16_t(offset + i)] = uint8_t(value >> (8 * i));
    return st;
}

// ------------------------------------------------------------ interrupts

bool Harness::wait_irq(unsigned vector, uint64_t timeout_cycles) {
    if (dev_->enumeration.irq_mode == IrqMode::Intx) {
        const bool got =
            advance([&] { return driver_.intx_rises(0) > dev_->intx_consumed; }, timeout_cycles);
        if (got) {
            ++dev_->intx_consumed;
            dev_->bridge->intx_ack();
        }
        return got;
    }
    if (dev_->irq_consumed.size() <= vector)
        dev_->irq_consumed.resize(vector + 1, 0);
    auto seen = [&] {
        uint64_t n = 0;
        for (const MsiEvent &e : driver_.msi_events())
            if (e.addr == cfg_.msi_address && e.data == kMsiDataBase + vector)
                ++n;
        return n;
    };
    const bool got = advance([&] { return seen() > dev_->irq_consumed[vector]; }, timeout_cycles);
    if (got)
        ++dev_->irq_consumed[vector];
    return got;
}

} // namespace rcsim
