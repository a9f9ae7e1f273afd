#include "fabric_link.hpp"

namespace rcsim::fabric {

namespace {
// A cap on kept failure notes: a bridge gone wrong breaks every TLP.
constexpr size_t kMaxFailures = 16;
} // namespace

FabricLink::FabricLink(Fabric &fabric, unsigned lanes)
    : fabric_(fabric), width_(lanes * 32), host_(lanes * 32) {
    links_.reserve(fabric.devices());
    for (size_t d = 0; d < fabric.devices(); ++d)
        links_.emplace_back(width_);
}

bool FabricLink::take(End &e, const tlp::Beat &b, const std::string &who) {
    std::optional<tlp::Decoded> t = e.in.push(b);
    if (!t)
        return false;
    if (!t->ok()) {
        if (failures_.size() < kMaxFailures)
            failures_.push_back(who + " sent beats that are no TLP: " + t->error);
        return false;
    }
    e.staged = *t->tlp;
    return true;
}

// The root port sends on TX (we are ready while nothing waits for room in
// the fabric) and receives on RX (one TLP at a time from the fabric).
void FabricLink::host_edge(const RtlOut &out, RtlIn &in) {
    if (out.tx_valid && in.tx_ready)
        take(host_, out.tx, "the root port");
    if (in.rx_valid && out.rx_ready)
        host_.out.pop();
    if (host_.staged && fabric_.from_host(*host_.staged))
        host_.staged.reset();
    tlp::Tlp t;
    if (!host_.sending() && fabric_.to_host(&t)) {
        note_host_write(t);
        host_.out.add(t);
    }
    in.tx_ready = !host_.staged;
    in.rx_valid = host_.sending();
    if (in.rx_valid)
        in.rx = host_.out.front();
}

// The bridge takes the place of the root port's RTL on a link of its own:
// it receives on "tx" and sends on "rx", as on the root port's pins.
void FabricLink::device_edge(size_t d, EdgeSink *bridge) {
    DeviceLink &l = links_[d];
    const bool tx_fire = l.out.tx_valid && l.in.tx_ready;
    const bool rx_fire = l.in.rx_valid && l.out.rx_ready;
    const tlp::Beat sent = l.in.rx;
    if (bridge)
        bridge->on_edge(l.out, l.in);
    else
        l.in = RtlIn{}; // nothing attached: takes everything, sends nothing
    if (tx_fire || (!bridge && l.out.tx_valid))
        l.end.out.pop();
    if (rx_fire)
        take(l.end, sent, "device " + std::to_string(d));
    if (l.end.staged && fabric_.from_device(d, *l.end.staged))
        l.end.staged.reset();
    tlp::Tlp t;
    if (!l.end.sending() && fabric_.to_device(d, &t))
        l.end.out.add(t);
    l.out.tx_valid = l.end.sending();
    if (l.out.tx_valid)
        l.out.tx = l.end.out.front();
    l.out.rx_ready = !l.end.staged;
}

void FabricLink::on_edge(const RtlOut &out, RtlIn &in, const std::vector<EdgeSink *> &devices) {
    host_edge(out, in);
    for (size_t d = 0; d < links_.size(); ++d)
        device_edge(d, d < devices.size() ? devices[d] : nullptr);
    fabric_.tick();
}

// At most this many writes remembered: a root port that never reports some
// (a write it refused without telling the memory port) cannot make the
// list grow without bound; the oldest are dropped.
constexpr size_t kMaxHostWrites = 4096;

void FabricLink::note_host_write(const tlp::Tlp &t) {
    const bool write = t.type == tlp::TlpType::MemWr32 || t.type == tlp::TlpType::MemWr64;
    if (!write || (t.address >= msi_base_ && t.address <= msi_limit_))
        return;
    if (host_writes_.size() >= kMaxHostWrites)
        host_writes_.pop_front();
    host_writes_.push_back({t.requester_id, t.address & ~uint64_t(3), t.length_dws()});
}

bool FabricLink::host_write_requester(uint64_t dw_addr, unsigned len_dw, uint16_t *requester) {
    for (auto it = host_writes_.begin(); it != host_writes_.end(); ++it) {
        if (it->dw_addr != dw_addr || it->len_dw != len_dw)
            continue;
        *requester = it->requester;
        host_writes_.erase(it);
        return true;
    }
    return false;
}

bool FabricLink::idle() const {
    if (host_.staged || host_.sending() || host_.in.in_tlp() || !fabric_.drained())
        return false;
    for (const DeviceLink &l : links_)
        if (l.end.staged || l.end.sending() || l.end.in.in_tlp() || l.in.rx_valid)
            return false;
    return true;
}

} // namespace rcsim::fabric
