#include "scenario_runner.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <vector>

namespace rcsim {

namespace {

constexpr size_t kChunk = 64 * 1024;

std::string hex(uint64_t v, unsigned size) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "0x%0*" PRIx64, int(2 * size), v);
    return buf;
}

std::string hex(uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
    return buf;
}

const char *irq_name(IrqKind k) {
    switch (k) {
    case IrqKind::Msix:
        return "MSI-X";
    case IrqKind::Msi:
        return "MSI";
    case IrqKind::Intx:
        return "INTx";
    case IrqKind::None:
        return "no interrupts";
    }
    return "?";
}

IrqMode irq_mode(IrqKind k) {
    switch (k) {
    case IrqKind::Msix:
        return IrqMode::Msix;
    case IrqKind::Msi:
        return IrqMode::Msi;
    case IrqKind::Intx:
        return IrqMode::Intx;
    case IrqKind::None:
        break;
    }
    return IrqMode::None;
}

const char *irq_name(IrqMode m) {
    switch (m) {
    case IrqMode::Msix:
        return "MSI-X";
    case IrqMode::Msi:
        return "MSI";
    case IrqMode::Intx:
        return "INTx";
    default:
        return "no interrupts";
    }
}

bool mode_matches(IrqKind k, IrqMode m) {
    return (k == IrqKind::Msix && m == IrqMode::Msix) || (k == IrqKind::Msi && m == IrqMode::Msi) ||
           (k == IrqKind::Intx && m == IrqMode::Intx);
}

std::string expectation(const Statement &s) {
    std::string e = hex(s.value, s.size);
    if (s.mask != (s.size >= 8 ? ~0ull : (1ull << (8 * s.size)) - 1))
        e += " (mask " + hex(s.mask, s.size) + ")";
    return e;
}

HostStatus host_status(ExpectedStatus e) {
    switch (e) {
    case ExpectedStatus::SC:
        return HostStatus::SC;
    case ExpectedStatus::UR:
        return HostStatus::UR;
    case ExpectedStatus::CA:
        return HostStatus::CA;
    case ExpectedStatus::Timeout:
        return HostStatus::Timeout;
    }
    return HostStatus::SC;
}

} // namespace

std::string ScenarioFailure::report() const {
    return loc.file + ":" + std::to_string(loc.line) + ": " + source + "\n  " + message + "\n";
}

ScenarioRunner::Step ScenarioRunner::step_for(Op op) {
    static const struct {
        Op op;
        Step step;
    } table[] = {
        {Op::Write, &ScenarioRunner::do_write},
        {Op::Read, &ScenarioRunner::do_read},
        {Op::Poll, &ScenarioRunner::do_poll},
        {Op::WaitIrq, &ScenarioRunner::do_wait_irq},
        {Op::Fill, &ScenarioRunner::do_fill},
        {Op::ExpectMem, &ScenarioRunner::do_expect_mem},
        {Op::Delay, &ScenarioRunner::do_delay},
        {Op::Drain, &ScenarioRunner::do_drain},
        {Op::ExpectDmaRefused, &ScenarioRunner::do_expect_dma_refused},
        {Op::Reset, &ScenarioRunner::do_reset},
        {Op::DmaUnmap, &ScenarioRunner::do_dma_unmap},
        {Op::DmaMap, &ScenarioRunner::do_dma_map},
        {Op::MaskIrq, &ScenarioRunner::do_mask_irq},
        {Op::UnmaskIrq, &ScenarioRunner::do_unmask_irq},
        {Op::SwitchIrq, &ScenarioRunner::do_switch_irq},
        {Op::DmaWindow, &ScenarioRunner::do_dma_window},
        {Op::Migrate, &ScenarioRunner::do_migrate},
        {Op::Topology, &ScenarioRunner::do_dma_window}, // a declaration: done at set-up
    };
    for (const auto &e : table)
        if (e.op == op)
            return e.step;
    return nullptr;
}

bool ScenarioRunner::run(const Program &p, ScenarioFailure *failure) {
    for (size_t i = 0; i < p.statements.size(); ++i) {
        const Statement &s = p.statements[i];
        if (progress_)
            progress_(i, s);
        std::string why;
        kind_ = ScenarioFailure::Kind::Other;
        status_ = HostStatus::SC;
        const Step step = step_for(s.op);
        const bool ok = step && select_device(s, &why) && (this->*step)(s, &why);
        ++stats_.statements;
        if (!ok) {
            if (failure)
                *failure = {s.loc, s.source, step ? why : "statement not implemented", kind_,
                            status_};
            return false;
        }
    }
    return drain_at_end(p, failure);
}

// A scenario ends as if it said `drain`: a posted write may still sit in
// the root port, or its REGION_WRITE wait for the server's reply, when the
// last statement returns; ending there would pass a write the device never
// saw or refused. A refused or undeliverable write is in the harness's
// report after this; one still in flight after the bound fails here.
bool ScenarioRunner::drain_at_end(const Program &p, ScenarioFailure *failure) {
    if (h_.drain(kEndDrainCycles))
        return true;
    if (failure) {
        SourceLoc end;
        end.file = p.files.empty() ? std::string() : p.files.front();
        end.line = p.statements.empty() ? 0 : p.statements.back().loc.line;
        std::string what;
        if (h_.bridge())
            for (const std::string &w : h_.bridge()->awaited())
                what += (what.empty() ? ": awaiting " : ", ") + w;
        *failure = {end, "(end of scenario)",
                    "still busy after " + std::to_string(kEndDrainCycles) + " cycles" + what,
                    ScenarioFailure::Kind::Other, HostStatus::SC};
    }
    return false;
}

bool ScenarioRunner::bar_missing(const Statement &s, std::string *why) const {
    if (s.target.space != Space::Bar)
        return false;
    const bool rom = s.target.bar == BarMap::kRom;
    const Bar &b = rom ? h_.enumeration().rom : h_.enumeration().bars[s.target.bar];
    const std::string name = rom ? "expansion ROM" : "BAR" + std::to_string(s.target.bar);
    if (!b.present) {
        *why = "the device has no " + name + " (or it was not assigned)";
        return true;
    }
    // A typo in an offset would otherwise reach whatever lies behind the BAR.
    if (s.offset >= b.size || b.size - s.offset < s.size) {
        *why = "offset " + hex(s.offset) + " + " + std::to_string(s.size) + " lies outside " +
               name + " (" + hex(b.size) + " bytes)";
        return true;
    }
    // IORd/IOWr carry one DW: an I/O access of 8 bytes or across a DW has
    // no TLP to go as.
    if (b.io && (s.size > 4 || (s.offset & 3) + s.size > 4)) {
        *why = name + " is an I/O BAR: accesses of 1, 2 or 4 bytes inside one DW";
        return true;
    }
    return false;
}

Access ScenarioRunner::access_read(const Statement &s) {
    switch (s.target.space) {
    case Space::Bar:
        stats_.mmio_bytes += s.size;
        return h_.mmio_read(s.target.bar, s.offset, s.size);
    case Space::Cfg:
        return h_.cfg_read(uint16_t(s.offset), s.size);
    case Space::Mem: {
        Access a;
        uint64_t v = 0;
        if (h_.memory().read(s.offset, &v, s.size) != MemStatus::Ok)
            a.status = HostStatus::BadReq;
        a.value = v;
        stats_.host_mem_bytes += s.size;
        return a;
    }
    }
    return {};
}

// A BAR write's kind decides what it may expect: a MemWr is posted (no
// completion; the server may refuse it), an IOWr is non-posted (it
// completes with a status).
bool ScenarioRunner::outcome_misfits(const Statement &s, std::string *why) const {
    if (s.target.space != Space::Bar || (!s.status_given && !s.refused))
        return false;
    const bool io = h_.enumeration().bars[s.target.bar].io;
    const std::string name = "BAR" + std::to_string(s.target.bar);
    if (s.status_given && !io)
        *why = name + " is a memory BAR: a write to it is posted and has no completion status "
                      "(say '-> refused' to expect the server to refuse it)";
    else if (s.refused && io)
        *why = name + " is an I/O BAR: a write to it is non-posted and completes (say "
                      "'-> status S')";
    else
        return false;
    return true;
}

bool ScenarioRunner::do_write(const Statement &s, std::string *why) {
    if (bar_missing(s, why) || outcome_misfits(s, why))
        return false;
    if (s.refused)
        return write_refused(s, why);
    HostStatus st = HostStatus::SC;
    switch (s.target.space) {
    case Space::Bar:
        stats_.mmio_bytes += s.size;
        st = h_.mmio_write(s.target.bar, s.offset, s.size, s.value);
        break;
    case Space::Cfg:
        st = h_.cfg_write(uint16_t(s.offset), s.size, uint32_t(s.value));
        break;
    case Space::Mem:
        stats_.host_mem_bytes += s.size;
        if (h_.memory().write(s.offset, &s.value, s.size) != MemStatus::Ok) {
            *why = "host memory refused the write";
            return false;
        }
        return true;
    }
    return status_as_expected(s, st, "write", why);
}

// The statement's completion status against what it expects (SC unless it
// says `-> status S`).
bool ScenarioRunner::status_as_expected(const Statement &s, HostStatus st, const char *what,
                                        std::string *why) {
    const HostStatus want = host_status(s.status);
    if (st == want)
        return true;
    *why = std::string("the ") + what + " completed with " + to_string(st);
    if (s.status_given)
        *why += ", expected " + std::string(to_string(want));
    else if (s.expect)
        *why += ", expected " + expectation(s);
    return failed(
        st == HostStatus::SC ? ScenarioFailure::Kind::Other : ScenarioFailure::Kind::Status, st);
}

// `write barN ... -> refused`: a posted write has no completion, so the
// write is carried to the server and its reply awaited (a drain); the
// refusal then counts as expected, and an accepted write fails here.
bool ScenarioRunner::write_refused(const Statement &s, std::string *why) {
    Bridge *b = h_.bridge();
    if (!b) {
        *why = "not connected to a server";
        return false;
    }
    b->expect_write_refusal(h_.enumeration().bars[s.target.bar].base + s.offset);
    stats_.mmio_bytes += s.size;
    h_.mmio_write(s.target.bar, s.offset, s.size, s.value);
    const bool settled = h_.drain(kEndDrainCycles);
    const size_t unmet = b->take_unmet_write_refusals();
    if (unmet == 0)
        return true;
    *why = settled ? "expected the server to refuse the write, but it accepted it"
                   : "expected the server to refuse the write, but it had not answered after " +
                         std::to_string(kEndDrainCycles) + " cycles";
    return false;
}

bool ScenarioRunner::do_read(const Statement &s, std::string *why) {
    if (bar_missing(s, why))
        return false;
    const Access a = access_read(s);
    if (!status_as_expected(s, a.status, "read", why))
        return false;
    if (s.expect && (a.value & s.mask) != s.value) {
        *why = "expected " + expectation(s) + ", got " + hex(a.value, s.size);
        return failed(ScenarioFailure::Kind::Value);
    }
    return true;
}

bool ScenarioRunner::do_poll(const Statement &s, std::string *why) {
    if (bar_missing(s, why))
        return false;
    const uint64_t start = h_.cycles();
    uint64_t reads = 0;
    for (;;) {
        const Access a = access_read(s);
        ++reads;
        if (!a.ok()) {
            *why = "read " + std::to_string(reads) + " completed with " + to_string(a.status) +
                   ", polling for " + expectation(s);
            return failed(ScenarioFailure::Kind::Status, a.status);
        }
        if ((a.value & s.mask) == s.value)
            return true;
        const uint64_t spent = h_.cycles() - start;
        if (spent >= s.cycles) {
            *why = "expected " + expectation(s) + " within " + std::to_string(s.cycles) +
                   " cycles, got " + hex(a.value, s.size) + " (last of " + std::to_string(reads) +
                   " reads over " + std::to_string(spent) + " cycles)";
            return failed(ScenarioFailure::Kind::Value);
        }
        h_.run_cycles(std::min(s.every, s.cycles - spent));
        tick();
    }
}

bool ScenarioRunner::do_wait_irq(const Statement &s, std::string *why) {
    const Enumeration &e = h_.enumeration();
    if (!mode_matches(s.irq, e.irq_mode)) {
        *why = std::string("expected an ") + irq_name(s.irq) +
               " interrupt, but the device was set up for " + irq_name(e.irq_mode);
        return false;
    }
    if (s.irq != IrqKind::Intx && s.vector >= e.irq_vectors) {
        *why = "vector " + std::to_string(s.vector) + " does not exist (the device has " +
               std::to_string(e.irq_vectors) + ")";
        return false;
    }
    if (s.wall_ms)
        return wait_irq_wall(s, why);
    const uint64_t start = h_.cycles();
    // In slices, so the progress display moves during a long wait.
    bool got = false;
    for (uint64_t left = s.cycles; !got;) {
        const uint64_t slice = std::min(left, kTickCycles);
        const uint64_t before = h_.cycles();
        got = h_.wait_irq(s.vector, slice);
        const uint64_t spent = h_.cycles() - before;
        if (got || left <= slice || spent == 0)
            break;
        left -= std::min(left, spent);
        tick();
    }
    if (!got) {
        *why = std::string("expected ") + irq_name(s.irq) + " vector " + std::to_string(s.vector) +
               " within " + std::to_string(s.cycles) + " cycles, got none (waited " +
               std::to_string(h_.cycles() - start) + " cycles)";
        return false;
    }
    ++stats_.irqs_waited;
    return true;
}

// The server's own timer: bounded in wall time, logged as a `wall-wait`.
bool ScenarioRunner::wait_irq_wall(const Statement &s, std::string *why) {
    const Harness::WallWait w = h_.wait_irq_wall(s.vector, std::chrono::milliseconds(s.wall_ms));
    ++stats_.wall_waits;
    stats_.wall_us += w.wall_us;
    if (!w.got) {
        *why = std::string("expected ") + irq_name(s.irq) + " vector " + std::to_string(s.vector) +
               " within " + std::to_string(s.wall_ms) + " ms of wall time, got none (waited " +
               std::to_string(w.wall_us / 1000) + " ms" +
               (w.cut_short.empty() ? "" : ": " + w.cut_short) + ")";
        return false;
    }
    ++stats_.irqs_waited;
    return true;
}

bool ScenarioRunner::do_fill(const Statement &s, std::string *why) {
    PatternStream ps(s.pattern);
    std::vector<uint8_t> buf(std::min<uint64_t>(s.len, kChunk));
    for (uint64_t done = 0; done < s.len;) {
        const size_t n = size_t(std::min<uint64_t>(buf.size(), s.len - done));
        ps.next(buf.data(), n);
        if (h_.memory().write(s.addr + done, buf.data(), n) != MemStatus::Ok) {
            *why = "host memory refused the write at " + hex(s.addr + done);
            return false;
        }
        done += n;
    }
    stats_.host_mem_bytes += s.len;
    return true;
}

bool ScenarioRunner::do_expect_mem(const Statement &s, std::string *why) {
    PatternStream ps(s.pattern);
    std::vector<uint8_t> want(std::min<uint64_t>(s.len, kChunk)), got(want.size());
    for (uint64_t done = 0; done < s.len;) {
        const size_t n = size_t(std::min<uint64_t>(want.size(), s.len - done));
        if (s.equals)
            h_.memory().read(s.other_addr + done, want.data(), n);
        else
            ps.next(want.data(), n);
        h_.memory().read(s.addr + done, got.data(), n);
        for (size_t i = 0; i < n; ++i) {
            if (want[i] == got[i])
                continue;
            size_t bad = 0;
            for (size_t j = i; j < n; ++j)
                bad += want[j] != got[j];
            const uint64_t at = done + i;
            *why = "byte " + std::to_string(at) + " (address " + hex(s.addr + at) + "): expected " +
                   hex(want[i], 1) + ", got " + hex(got[i], 1) +
                   (s.equals ? " (from " + hex(s.other_addr + at) + ")" : "") + "; " +
                   std::to_string(bad) + " of the " + std::to_string(n - i) +
                   " bytes compared from there differ";
            return failed(ScenarioFailure::Kind::Value);
        }
        done += n;
    }
    stats_.host_mem_bytes += s.len;
    return true;
}

bool ScenarioRunner::do_delay(const Statement &s, std::string *) {
    for (uint64_t left = s.cycles; left > 0;) {
        const uint64_t slice = std::min(left, kTickCycles);
        h_.run_cycles(slice);
        left -= slice;
        tick();
    }
    return true;
}

bool ScenarioRunner::do_drain(const Statement &s, std::string *why) {
    if (h_.drain(s.cycles))
        return true;
    *why = "still busy after " + std::to_string(s.cycles) + " cycles";
    return false;
}

// A device test that provokes an IOMMU fault on purpose says how many it
// expects; the refusals it names no longer fail the run. What is in flight
// settles first, so a refusal the last statements caused is counted here.
bool ScenarioRunner::do_expect_dma_refused(const Statement &s, std::string *why) {
    h_.drain(kEndDrainCycles);
    const std::vector<std::string> seen = h_.refused_dma_descriptions();
    const uint64_t got = h_.take_refused_dma();
    if (got == s.count)
        return true;
    *why = "expected " + std::to_string(s.count) + " refused DMA command(s), the device had " +
           std::to_string(got);
    for (const std::string &d : seen)
        *why += "\n  " + d;
    return false;
}

// The lifecycle statements send their message and wait for its reply
// (bounded like the end's drain); the scheduler admits both as any other.
bool ScenarioRunner::do_reset(const Statement &s, std::string *why) {
    if (s.flr)
        return function_level_reset(why);
    return h_.device_reset(kEndDrainCycles, why) == 0;
}

// `reset flr` as a driver does it (PCIe Base spec, Device Capabilities and
// Device Control of the PCI Express Capability): only when Device
// Capabilities (cap + 0x04) bit 28, Function Level Reset Capability, is set,
// Device Control (cap + 0x08) is written back with bit 15, Initiate Function
// Level Reset, set. The harness does not restore config space afterwards.
bool ScenarioRunner::function_level_reset(std::string *why) {
    const unsigned cap = h_.enumeration().pcie_cap;
    if (cap == 0) {
        *why = "the device has no PCI Express capability, so no Function Level Reset";
        return false;
    }
    const Access devcap = h_.cfg_read(uint16_t(cap + 0x04), 4);
    if (!devcap.ok()) {
        *why = "reading Device Capabilities (cfg " + hex(cap + 0x04) + ") completed with " +
               to_string(devcap.status);
        return failed(ScenarioFailure::Kind::Status, devcap.status);
    }
    if (!(devcap.value & (1u << 28))) {
        *why = "the device does not advertise Function Level Reset: Device Capabilities (cfg " +
               hex(cap + 0x04) + ") is " + hex(devcap.value, 4) +
               ", bit 28 (Function Level Reset Capability) clear";
        return false;
    }
    const Access ctl = h_.cfg_read(uint16_t(cap + 0x08), 2);
    if (!ctl.ok()) {
        *why = "reading Device Control (cfg " + hex(cap + 0x08) + ") completed with " +
               to_string(ctl.status);
        return failed(ScenarioFailure::Kind::Status, ctl.status);
    }
    const HostStatus st = h_.cfg_write(uint16_t(cap + 0x08), 2, uint32_t(ctl.value | 0x8000));
    if (st != HostStatus::SC) {
        *why = "writing Initiate Function Level Reset (Device Control bit 15, cfg " +
               hex(cap + 0x08) + ") completed with " + to_string(st);
        return failed(ScenarioFailure::Kind::Status, st);
    }
    return true;
}

bool ScenarioRunner::do_dma_unmap(const Statement &s, std::string *why) {
    return h_.dma_unmap(s.window, kEndDrainCycles, why) == 0;
}

bool ScenarioRunner::do_dma_map(const Statement &s, std::string *why) {
    return h_.dma_map(s.window, kEndDrainCycles, why) == 0;
}

// The IRQ set-up changes a driver makes (harness_irq_setup.cpp): a mask
// where the PCI spec puts it, or another interrupt kind.
bool ScenarioRunner::do_mask_irq(const Statement &s, std::string *why) {
    return h_.irq_mask(irq_mode(s.irq), s.vector, true, kEndDrainCycles, why) == 0;
}

bool ScenarioRunner::do_unmask_irq(const Statement &s, std::string *why) {
    return h_.irq_mask(irq_mode(s.irq), s.vector, false, kEndDrainCycles, why) == 0;
}

bool ScenarioRunner::do_switch_irq(const Statement &s, std::string *why) {
    return h_.irq_switch(irq_mode(s.irq), kEndDrainCycles, why) == 0;
}

// Applied at set-up (scenario_session.cpp): nothing left to do here.
// The device a statement addresses: the one its target names (a topology
// run), else the first (the only one without a topology).
bool ScenarioRunner::select_device(const Statement &s, std::string *why) {
    if (s.device.empty()) {
        h_.select_device(0);
        return true;
    }
    const int d = h_.find_device(s.device);
    if (d < 0) {
        *why = h_.devices() > 1 || !h_.device_name(0).empty()
                   ? "no device '" + s.device + "' in the topology"
                   : "'" + s.device +
                         "' names a device of a topology; this run has one device "
                         "(no topology statement)";
        return false;
    }
    h_.select_device(size_t(d));
    return true;
}

bool ScenarioRunner::do_dma_window(const Statement &, std::string *) {
    return true;
}

} // namespace rcsim
