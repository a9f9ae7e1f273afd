// A migration's handover (sim/migrate/ drives it): the destination server
// started beside the attached one, then put in its place on the link, with
// the config space a driver programmed written into it again. QEMU restores
// a vfio device's config space from its own migration stream; the harness,
// which did the programming, writes the same values through the root port.
#include "harness.hpp"

#include "process_cleanup.hpp"

#include <cerrno>
#include <cstring>

namespace rcsim {

namespace {
constexpr uint16_t kCommand = 0x04;
constexpr uint16_t kInterruptLine = 0x3c;
constexpr uint16_t kRomBar = 0x30;
constexpr uint16_t kFirstBar = 0x10;

std::string hex(uint64_t v) {
    char b[24];
    snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}
} // namespace

Harness::Standby::Standby(Standby &&o) noexcept
    : process(std::move(o.process)), socket_dir(std::move(o.socket_dir)),
      socket_path(std::move(o.socket_path)), ctx(o.ctx) {
    o.ctx = nullptr;
    o.socket_dir.clear();
}

Harness::Standby::~Standby() {
    if (ctx)
        vuc_destroy(ctx);
    if (process)
        process->stop();
    if (!socket_dir.empty()) {
        remove_tree(socket_dir.c_str());
        cleanup_unregister(CleanupKind::Dir, 0, socket_dir);
    }
}

int Harness::start_standby(const std::vector<std::string> &argv, Standby *out, std::string *error) {
    // The devices of a topology share one decision book and map each
    // other's BARs: a handover would have to carry both (not built).
    if (fabric_) {
        *error = "migration of a device of a topology is not supported (one device only)";
        return -EOPNOTSUPP;
    }
    int rc = launch_server(argv, &out->process, &out->socket_dir, &out->socket_path, error);
    if (rc < 0)
        return rc;
    rc = open_client(out->socket_path, &out->ctx, error);
    if (rc < 0)
        out->process->wait_exit(std::chrono::milliseconds(500));
    return rc;
}

std::vector<std::string> Harness::server_argv_template() const {
    if (!dev_->server)
        return {};
    std::vector<std::string> argv = dev_->server->argv();
    for (std::string &a : argv)
        for (size_t pos = a.find(dev_->socket_path);
             !dev_->socket_path.empty() && pos != std::string::npos;
             pos = a.find(dev_->socket_path, pos + 8))
            a.replace(pos, dev_->socket_path.size(), "{socket}");
    return argv;
}

void Harness::settle_server() {
    if (!dev_->admission)
        return;
    dev_->admission->note_server_activity();
    dev_->admission->point();
}

size_t Harness::migration_choice(const std::string &kind, const std::vector<std::string> &options) {
    if (!cfg_.migration_choices || !sched_ || !dev_->admission || options.size() < 2)
        return 0;
    return choose_logged(*dev_, kind, options);
}

int Harness::save_config(SavedConfig *out, std::string *) {
    out->bytes.clear();
    auto keep = [&](uint16_t off, unsigned size) {
        for (unsigned i = 0; i < size; ++i) {
            const auto it = dev_->cfg_written.find(uint16_t(off + i));
            if (it != dev_->cfg_written.end())
                out->bytes[it->first] = it->second;
        }
    };
    keep(kCommand, 2);
    keep(kInterruptLine, 1);
    if (dev_->enumeration.pcie_cap)
        keep(uint16_t(dev_->enumeration.pcie_cap + 8), 2);
    return 0;
}

int Harness::adopt(Standby &&s, std::unique_ptr<HostMemory> memory, const SavedConfig &saved,
                   uint64_t max_cycles, std::string *error) {
    if (fabric_) {
        *error = "migration of a device of a topology is not supported (one device only)";
        return -EOPNOTSUPP;
    }
    if (!dev_->bridge || !s.ctx) {
        *error = "no server attached, or no destination to attach";
        return -ENOTCONN;
    }
    flush_posted(max_cycles);
    dev_->carried += dev_->bridge->counters();
    dev_->carried_refused += dev_->refusals ? dev_->refusals->total() : 0;
    std::unique_ptr<Admission> prev = detach();
    std::swap(mem_, *memory); // the source's memory goes with `memory`
    dev_->server = std::move(s.process);
    dev_->idle.reset(); // the destination was not offered the idle announcement
    dev_->socket_dir = std::move(s.socket_dir);
    s.socket_dir.clear();
    dev_->socket_path = s.socket_path;
    dev_->ctx = s.ctx;
    s.ctx = nullptr;
    dev_->refusals = std::make_unique<DmaRefusals>(cfg_.dma_windows);
    for (const std::string &name : dev_->unmapped_windows)
        dev_->refusals->set_unmapped(name, true);
    int rc = attach(error);
    if (rc < 0)
        return rc;
    if (prev)
        dev_->admission->continue_from(*prev);
    go_live();
    dev_->bridge->set_link(dev_->enumeration.mps, dev_->enumeration.mrrs, cfg_.rcb);
    return restore_config(saved, max_cycles, error);
}

// BARs and the ROM as enumeration assigned them, the saved registers, then
// the IRQ set-up programmed as enumeration did it (fresh eventfds;
// interrupts the host saw before stay waitable).
int Harness::restore_config(const SavedConfig &saved, uint64_t max_cycles, std::string *error) {
    auto wr = [&](uint16_t off, unsigned size, uint32_t v, const char *what) {
        if (cfg_write(off, size, v) == HostStatus::SC)
            return true;
        *error = std::string("restoring the destination's config space: writing ") + what +
                 " (cfg " + hex(off) + ") failed";
        return false;
    };
    for (unsigned i = 0; i < BarMap::kBars; ++i) {
        const Bar &b = dev_->bars.get(i);
        if (!b.present)
            continue;
        if (!wr(uint16_t(kFirstBar + 4 * i), 4, uint32_t(b.base), "a BAR") ||
            (b.is64 && !wr(uint16_t(kFirstBar + 4 * (i + 1)), 4, uint32_t(b.base >> 32), "a BAR")))
            return -EIO;
        if (b.is64)
            ++i;
    }
    const Bar &rom = dev_->bars.get(BarMap::kRom);
    if (rom.present && !wr(kRomBar, 4, uint32_t(rom.base) | 1u, "the ROM BAR"))
        return -EIO;
    // Command last: decoding turns on once the BARs are in place.
    for (const auto &[off, byte] : saved.bytes)
        if (off != kCommand && off != kCommand + 1 && !wr(off, 1, byte, "a saved register"))
            return -EIO;
    const auto lo = saved.bytes.find(kCommand), hi = saved.bytes.find(kCommand + 1);
    const bool has_lo = lo != saved.bytes.end(), has_hi = hi != saved.bytes.end();
    if (has_lo && has_hi &&
        !wr(kCommand, 2, uint32_t(lo->second) | uint32_t(hi->second) << 8, "Command"))
        return -EIO;
    if (has_lo != has_hi && !wr(has_lo ? kCommand : uint16_t(kCommand + 1), 1,
                                has_lo ? lo->second : hi->second, "Command"))
        return -EIO;
    const IrqMode kind = dev_->enumeration.irq_mode;
    if (kind == IrqMode::None)
        return 0;
    unsigned vectors = 1;
    int rc = kind == IrqMode::Intx ? 0 : program_irq_capability(kind, &vectors, error);
    return rc < 0 ? rc : arm_irqs(kind, vectors, max_cycles, error);
}

} // namespace rcsim
