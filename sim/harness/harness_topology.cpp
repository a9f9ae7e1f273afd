// Several devices (issue 20): a topology's servers started and connected,
// the fabric put between the root port and their bridges, the hierarchy
// enumerated through the RTL as the plan places it, and every device's
// peers' memory BARs mapped for peer-to-peer DMA.
#include "harness.hpp"

#include "command_line.hpp"
#include "enumeration_plan.hpp"
#include "fabric_link.hpp"
#include "hierarchy_config.hpp"
#include "topology_render.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace rcsim {

namespace {

std::string bdf_text(uint16_t bdf) {
    char b[16];
    std::snprintf(b, sizeof b, "%02x:%02x.%x", bdf >> 8, (bdf >> 3) & 0x1f, bdf & 7);
    return b;
}

// The planner's config requests, as config TLPs through the root port and
// the fabric.
class RtlConfigPort : public topology::ConfigPort {
  public:
    explicit RtlConfigPort(Harness &h) : h_(h) {}

    int read(uint16_t bdf, uint16_t reg, uint32_t *value, std::string *error) override {
        const Access a = h_.cfg_read_at(bdf, reg, 4);
        *value = uint32_t(a.value);
        return status(a.status, "read", bdf, reg, error);
    }

    // Byte enables as one run of bytes (what the planner writes): a config
    // write of 1, 2 or 4 bytes at the run's first byte.
    int write(uint16_t bdf, uint16_t reg, uint32_t value, uint8_t be, std::string *error) override {
        unsigned lead = 0, size = 0;
        while (lead < 4 && !(be & (1u << lead)))
            ++lead;
        while (lead + size < 4 && (be & (1u << (lead + size))))
            ++size;
        if (size == 0 || size == 3 || (be >> (lead + size)) != 0) {
            *error = "config write to " + bdf_text(bdf) + ": byte enables " + std::to_string(be) +
                     " are not one access";
            return -EINVAL;
        }
        const HostStatus s = h_.cfg_write_at(bdf, uint16_t(reg + lead), size, value >> (8 * lead));
        return status(s, "write", bdf, reg, error);
    }

  private:
    static int status(HostStatus s, const char *what, uint16_t bdf, uint16_t reg,
                      std::string *error) {
        if (s == HostStatus::SC)
            return 0;
        char r[8];
        std::snprintf(r, sizeof r, "0x%02x", reg);
        *error = std::string("config ") + what + " of " + bdf_text(bdf) + " register " + r + ": " +
                 to_string(s);
        return s == HostStatus::Timeout ? -ETIMEDOUT : -EIO;
    }

    Harness &h_;
};

topology::PlanRanges plan_ranges(const HarnessConfig &c) {
    topology::PlanRanges r;
    r.mem_base = c.bar_window_base;
    r.mem_size = c.bar_window_size;
    r.pref_base = c.pref_window_base;
    r.pref_size = c.pref_window_size;
    r.io_base = c.io_window_base;
    r.io_size = c.io_window_size;
    return r;
}

// The plan before any BAR is known: the buses depend on the tree alone.
int plan_buses(const topology::Topology &t, const HarnessConfig &c, topology::Plan *out,
               std::string *error) {
    topology::DeviceBars none;
    for (const topology::Node &n : t.nodes)
        if (n.kind == topology::NodeKind::Device)
            none[n.name];
    return topology::plan_enumeration(t, none, plan_ranges(c), out, error);
}

} // namespace

int Harness::find_device(const std::string &name) const {
    for (const auto &d : devs_)
        if (d->name == name)
            return int(d->index);
    return -1;
}

std::string Harness::topology_tree() const {
    return plan_ ? topology::render_tree(*plan_) : std::string();
}

std::string Harness::topology_listing() const {
    return plan_ ? topology::render_listing(*plan_) : std::string();
}

int Harness::start_topology(const topology::Topology &t, std::string *error) {
    if (devs_.size() > 1 || devs_.front()->ctx || devs_.front()->server || fabric_) {
        *error = "a server is already attached";
        return -EISCONN;
    }
    topology::Plan buses;
    int rc = plan_buses(t, cfg_, &buses, error);
    if (rc < 0)
        return rc;
    if ((rc = fabric::Fabric::create(buses, &fabric_, error)) < 0)
        return rc;
    link_ = std::make_unique<fabric::FabricLink>(*fabric_, HarnessTop::kLanes);
    link_->set_msi_window(RtlSettings{}.msi_base, RtlSettings{}.msi_limit);
    fabric_->set_hop_trace([this](const tlp::Tlp &tlp, const std::string &hop) {
        if (observer_)
            observer_->on_fabric_hop(tlp, hop);
    });
    rc = start_devices(buses, error);
    if (rc == 0)
        rc = enumerate_topology(t, error);
    if (rc < 0)
        shutdown();
    return rc;
}

// Every device of the plan gets its slot, its server started and its client
// attached; then one decision log and every admission live.
int Harness::start_devices(const topology::Plan &plan, std::string *error) {
    std::vector<std::unique_ptr<HarnessDevice>> devs;
    std::vector<std::string> commands;
    for (const topology::PlannedFunction &f : plan.functions) {
        if (f.kind != topology::FunctionKind::Device)
            continue;
        auto d = std::make_unique<HarnessDevice>();
        d->harness = this;
        d->index = devs.size();
        d->name = f.name;
        d->bdf = fabric_->device_bdf(d->index);
        // 4 KiB apart inside the root port's MSI window: a host interrupt
        // names its device by address.
        d->msi_address = cfg_.msi_address + 0x1000ull * d->index;
        devs.push_back(std::move(d));
        commands.push_back(f.server);
    }
    devs_ = std::move(devs);
    for (size_t i = 0; i < devs_.size(); ++i) {
        dev_ = devs_[i].get();
        std::vector<std::string> argv;
        int rc = split_command_line(commands[i], &argv, error);
        if (rc == 0 && cfg_.idle_announce) {
            dev_->idle = std::make_unique<IdleChannel>();
            if (dev_->idle->open() < 0)
                dev_->idle.reset();
        }
        if (rc == 0)
            rc = launch_server(argv, &dev_->server, &dev_->socket_dir, &dev_->socket_path, error,
                               dev_->idle ? dev_->idle->fd() : -1);
        if (rc == 0)
            rc = connect_device(dev_->socket_path, error);
        if (rc < 0) {
            *error = dev_->name + ": " + *error;
            dev_ = devs_.front().get();
            return rc;
        }
    }
    dev_ = devs_.front().get();
    const int rc = open_log(error);
    if (rc < 0)
        return rc;
    Admission *book = devs_.front()->admission.get();
    for (const auto &d : devs_) {
        dev_ = d.get();
        d->admission->share_decisions(d.get() == devs_.front().get() ? nullptr : book,
                                      who_prefix(*d));
        go_live();
    }
    dev_ = devs_.front().get();
    return 0;
}

// Buses, then every BAR sized, then the plan with those BARs programmed
// (windows, BAR addresses), then each device as enumerate() does with its
// BARs where the plan put them.
int Harness::enumerate_topology(const topology::Topology &t, std::string *error) {
    RtlConfigPort port(*this);
    topology::Plan buses;
    topology::DeviceBars bars;
    auto plan = std::make_unique<topology::Plan>();
    int rc = plan_buses(t, cfg_, &buses, error);
    if (rc == 0)
        rc = topology::program_buses(buses, port, error);
    if (rc == 0)
        rc = topology::size_all_bars(buses, port, &bars, error);
    if (rc == 0)
        rc = topology::plan_enumeration(t, bars, plan_ranges(cfg_), plan.get(), error);
    if (rc == 0)
        rc = topology::program_windows(*plan, port, error);
    if (rc < 0)
        return rc;
    size_t index = 0;
    for (const topology::PlannedFunction &f : plan->functions) {
        if (f.kind != topology::FunctionKind::Device)
            continue;
        HarnessDevice &d = *devs_.at(index++);
        for (const topology::PlannedBar &b : f.bars)
            d.planned_bars[b.spec.kind == topology::BarKind::Rom ? BarMap::kRom : b.spec.index] =
                b.addr;
    }
    plan_ = std::move(plan);
    unsigned mps = cfg_.mps;
    for (const auto &d : devs_) {
        dev_ = d.get();
        if ((rc = enumerate(error)) < 0) {
            *error = d->name + ": " + *error;
            dev_ = devs_.front().get();
            return rc;
        }
        mps = std::min(mps, d->enumeration.mps);
    }
    // One MPS for the root port and every link: the smallest any device
    // takes (a larger payload would be malformed at that device).
    for (const auto &d : devs_) {
        dev_ = d.get();
        set_link(mps, cfg_.mrrs);
    }
    dev_ = devs_.front().get();
    return map_peer_windows(error);
}

// Every device may DMA into every other device's memory BARs: each such BAR
// is a message window in its client (DMA_MAP without an fd, as a VMM maps
// a peer's BAR into a device's address space) and a peer window of its
// bridge (a write there is done when posted into the fabric).
int Harness::map_peer_windows(std::string *error) {
    for (const auto &d : devs_) {
        dev_ = d.get();
        std::vector<std::pair<uint64_t, uint64_t>> peers;
        for (const auto &o : devs_) {
            if (o.get() == d.get())
                continue;
            for (unsigned i = 0; i < BarMap::kBars; ++i) {
                const Bar &b = o->enumeration.bars[i];
                if (!b.present || b.io)
                    continue;
                const std::string what = o->name + ".bar" + std::to_string(i);
                const int rc = map_message_window(b.base, b.size, what, error);
                if (rc < 0) {
                    *error = d->name + ": " + *error;
                    dev_ = devs_.front().get();
                    return rc;
                }
                peers.emplace_back(b.base, b.size);
            }
        }
        d->bridge->set_peer_windows(std::move(peers));
    }
    dev_ = devs_.front().get();
    return 0;
}

// ---- deadlock across servers

// Nothing can move by itself: no TLP in the root port, the fabric or a
// bridge's queue, and no server to admit anything from.
bool Harness::stalled() const {
    if (!link_ || !top_->last_out().idle || !link_->idle())
        return false;
    for (const auto &d : devs_) {
        if (d->bridge && d->bridge->sending())
            return false;
        if (d->admission && (d->admission->needed() || d->admission->delaying()))
            return false;
    }
    return true;
}

// The device whose memory BAR holds `addr`, or -1.
int Harness::device_at(uint64_t addr) const {
    for (const auto &d : devs_)
        for (const Bar &b : d->enumeration.bars)
            if (b.present && !b.io && addr >= b.base && addr - b.base < b.size)
                return int(d->index);
    return -1;
}

// Device X waits for device Y when a DMA read of X's server into Y's BAR
// has no completion yet and Y's server owes us a reply (the REGION_READ
// that read became): a cycle of those is servers each blocked inside a DMA
// the other must answer. The first cycle found, in device order; empty if
// none.
std::vector<size_t> Harness::wait_cycle() const {
    const size_t n = devs_.size();
    std::vector<int> waits_for(n, -1);
    for (size_t x = 0; x < n; ++x) {
        if (!devs_[x]->bridge)
            continue;
        for (uint64_t addr : devs_[x]->bridge->peer_reads()) {
            const int y = device_at(addr);
            if (y >= 0 && devs_[size_t(y)]->bridge && devs_[size_t(y)]->bridge->awaits_server()) {
                waits_for[x] = y;
                break;
            }
        }
    }
    for (size_t start = 0; start < n; ++start) {
        std::vector<size_t> path;
        std::vector<bool> seen(n, false);
        for (int at = int(start); at >= 0 && !seen[size_t(at)]; at = waits_for[size_t(at)]) {
            seen[size_t(at)] = true;
            path.push_back(size_t(at));
        }
        if (!path.empty() && waits_for[path.back()] == int(start) && path.size() > 1)
            return path;
    }
    return {};
}

// A deadlock across servers, if there is one: named (a `deadlock`
// decision, a failure of the run naming every server of the cycle and what
// each waits in), then broken as hardware would break it: each waiting
// peer-to-peer read ends with a completion timeout, so every server's DMA
// fails (ETIMEDOUT) and the run goes on to its verdict. False if none.
bool Harness::break_cross_deadlock() {
    const std::vector<size_t> cycle = wait_cycle();
    if (cycle.empty())
        return false;
    std::string what = "deadlock across servers:";
    for (size_t i = 0; i < cycle.size(); ++i) {
        const HarnessDevice &x = *devs_[cycle[i]];
        const HarnessDevice &y = *devs_[cycle[(i + 1) % cycle.size()]];
        uint64_t addr = 0;
        for (uint64_t a : x.bridge->peer_reads())
            if (device_at(a) == int(y.index))
                addr = a;
        std::string busy;
        for (const std::string &a : y.bridge->awaited())
            busy += (busy.empty() ? "" : ", ") + a;
        char at[24];
        std::snprintf(at, sizeof at, "0x%llx", static_cast<unsigned long long>(addr));
        what += std::string(i ? ";" : "") + " " + x.name +
                "'s server waits inside its DMA read of " + y.name + "'s BAR at " + at +
                ", which " + y.name + "'s server does not answer (" + y.name + " owes " + busy +
                ")";
    }
    Decision d;
    d.kind = "deadlock";
    d.options = {what};
    d.chosen = what;
    devs_.front()->admission->record_choice(d);
    cross_deadlocks_.push_back(what);
    failures_.push_back(what + "; each such read ended as a completion timeout");
    for (size_t i : cycle)
        devs_[i]->bridge->time_out_peer_reads(-ETIMEDOUT);
    return true;
}

} // namespace rcsim

namespace rcsim {

// A posted write the fabric dropped never reaches host memory, so the bridge
// that sent it towards the host would wait for host memory's write-done
// forever. PCIe gives the sender no word either: the device goes on as if
// delivered (the run fails on the drop, dropped_report()).
void Harness::complete_dropped_writes() {
    tlp::Tlp t;
    while (fabric_->take_dropped(&t)) {
        if (!t.is_memory() || !t.is_write())
            continue;
        const uint64_t dw_addr = t.address & ~uint64_t(3); // the bridge keeps byte addresses
        for (const auto &d : devs_)
            if (d->bdf == t.requester_id && d->bridge)
                d->bridge->host_write_dropped(dw_addr, t.length_dws());
    }
}

std::string Harness::dropped_report() const {
    const uint64_t n = fabric_->counters().posted_dropped;
    const uint64_t np = fabric_->counters().np_unrouted;
    const uint64_t over = fabric_->counters().payload_overrun;
    if (n == 0 && np > 0) // a harness-made request of a kind no fabric routes: a bug of ours
        return "fabric: " + std::to_string(np) + " non-posted request" + (np == 1 ? "" : "s") +
               " of a kind the fabric cannot route (no completion comes)";
    if (n == 0) // an oversized request or completion, dropped whole
        return "fabric: " + std::to_string(over) + " TLP" + (over == 1 ? "" : "s") +
               " with a payload beyond MPS dropped (malformed)";
    std::string s = "fabric: " + std::to_string(n) + " posted TLP" + (n == 1 ? "" : "s") +
                    " claimed by no port dropped, " + (n == 1 ? "its" : "their") + " data lost:";
    const std::vector<tlp::Tlp> &kept = fabric_->dropped();
    for (size_t i = 0; i < kept.size(); i++) {
        const tlp::Tlp &t = kept[i];
        std::string from = bdf_text(t.requester_id);
        for (const auto &d : devs_)
            if (d->bdf == t.requester_id)
                from = d->name + " (" + from + ")";
        char where[64];
        std::snprintf(where, sizeof where, " to 0x%llx, %u DW",
                      static_cast<unsigned long long>(t.address), t.length_dws());
        s += std::string(i ? ";" : "") + " " + tlp::type_name(t.type) + " from " + from +
             (t.is_memory() ? where : "");
    }
    if (n > kept.size())
        s += "; and " + std::to_string(n - kept.size()) + " more";
    return s;
}

} // namespace rcsim
