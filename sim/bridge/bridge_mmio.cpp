// MMIO, I/O and config TLPs from the root port -> REGION_READ/REGION_WRITE
// on the BAR regions and region 7 (config space); replies -> completions.
#include "bridge.hpp"
#include "tlp_rules.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace rcsim {

// The table sim/bridge/README.md documents: errors that say "no such thing here"
// (bad offset/size, no such region, unsupported operation) are Unsupported
// Request, as a real completer answers an access it does not decode; every
// other failure (I/O error, server gone or broken) is Completer Abort.
tlp::CplStatus completion_status_for_errno(int err) {
    switch (err < 0 ? -err : err) {
    case EINVAL:
    case EFAULT:
    case ENOENT:
    case ENXIO:
    case ERANGE:
    case ENOTSUP:
    case ENOSYS:
        return tlp::CplStatus::UR;
    default:
        return tlp::CplStatus::CA;
    }
}

namespace {
struct Run {
    size_t first, len;
};
// Contiguous runs of enabled bytes in a write's payload.
std::vector<Run> enabled_runs(const tlp::Tlp &t) {
    const size_t n = size_t(t.length_dws()) * 4;
    std::vector<Run> runs;
    size_t i = 0;
    auto enabled = [&](size_t k) {
        const unsigned dw = unsigned(k / 4), bit = unsigned(k % 4);
        const uint8_t be = dw == 0 ? t.first_be : dw + 1 == t.length_dws() ? t.last_be : 0xf;
        return (be >> bit) & 1u;
    };
    while (i < n && i < t.payload.size()) {
        if (!enabled(i)) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j < n && j < t.payload.size() && enabled(j))
            ++j;
        runs.push_back({i, j - i});
        i = j;
    }
    return runs;
}
} // namespace

void Bridge::fail_request(const tlp::Tlp &t, tlp::CplStatus st) {
    if (t.is_posted())
        return;
    (st == tlp::CplStatus::UR ? counters_.ur_completions : counters_.ca_completions)++;
    const uint16_t completer =
        t.type == tlp::TlpType::CfgRd0 || t.type == tlp::TlpType::CfgWr0 ? t.dest_id : device_bdf_;
    inject(tlp::Tlp::completion(t, completer, st));
}

// The request could not even be sent (server gone): Completer Abort, as
// for any failure that is not the device's own answer.
void Bridge::unsent(const tlp::Tlp &t, int err) {
    note_failure("request for " + t.describe() + " could not be sent: " + strerror(-err));
    fail_request(t, tlp::CplStatus::CA);
}

void Bridge::mmio_read(const tlp::Tlp &t) {
    ++counters_.mmio_reads;
    const uint32_t bytes = t.request_bytes();
    const uint64_t addr = t.first_byte_address();
    const std::optional<BarHit> hit = bars_.decode(addr, bytes ? bytes : 1);
    if (!hit)
        return fail_request(t, tlp::CplStatus::UR);
    if (t.first_be == 0) { // zero-length read: nothing to ask the device
        for (const tlp::Tlp &c :
             tlp::read_completions(t, device_bdf_, std::vector<uint8_t>(bytes, 0), rcb_, mps_))
            inject(c);
        return;
    }
    if (mapped_read(t, *hit, bytes))
        return;
    if (before_request_)
        before_request_(VU_CMD_REGION_READ);
    vuc_id id = 0;
    const int rc = vuc_submit_region_read(ctx_, hit->index, hit->offset, bytes, 0, &id);
    if (rc < 0)
        return unsent(t, rc);
    track(id, {Kind::MemRead, t, 0, true, "REGION_READ"});
}

// A load from the mapping, as a guest's load from a mapped BAR: the device
// sees nothing, the bytes are what is there now. Completions follow at once.
bool Bridge::mapped_read(const tlp::Tlp &t, const BarHit &hit, uint32_t bytes) {
    const uint8_t *p = mappings_ ? mappings_->find(hit.index, hit.offset, bytes) : nullptr;
    if (!p)
        return false;
    ++counters_.mapped_reads;
    std::vector<uint8_t> data(bytes);
    std::memcpy(data.data(), p, bytes);
    if (on_mapped_)
        on_mapped_(false, hit.index, hit.offset, data.data(), bytes);
    inject_read_completions(t, data);
    return true;
}

// A store into the mapping: it lands now; a device polling those bytes sees
// it whenever it next looks (no message tells it).
bool Bridge::mapped_write(const BarHit &hit, const uint8_t *bytes, size_t len) {
    uint8_t *p = mappings_ ? mappings_->find(hit.index, hit.offset, len) : nullptr;
    if (!p)
        return false;
    ++counters_.mapped_writes;
    std::memcpy(p, bytes, len);
    if (on_mapped_)
        on_mapped_(true, hit.index, hit.offset, bytes, len);
    return true;
}

void Bridge::mmio_write(const tlp::Tlp &t) {
    ++counters_.mmio_writes;
    const uint64_t base = t.address & ~uint64_t(3);
    for (const Run &r : enabled_runs(t)) {
        const std::optional<BarHit> hit = bars_.decode(base + r.first, r.len);
        if (!hit) {
            ++counters_.mmio_write_errors;
            note_failure("MemWr to an address no BAR decodes: " + t.describe());
            continue;
        }
        if (hit->index == BarMap::kRom) { // read-only: dropped, as a ROM drops it
            ++counters_.rom_writes_dropped;
            continue;
        }
        snoop_msix(hit->index, hit->offset, &t.payload[r.first], r.len);
        if (mapped_write(*hit, &t.payload[r.first], r.len))
            continue;
        if (before_request_)
            before_request_(VU_CMD_REGION_WRITE);
        vuc_id id = 0;
        const int rc = vuc_submit_region_write(ctx_, hit->index, hit->offset, &t.payload[r.first],
                                               uint32_t(r.len), 0, &id);
        if (rc < 0) {
            ++counters_.mmio_write_errors;
            note_failure("REGION_WRITE could not be sent: errno " + std::to_string(-rc));
            continue;
        }
        track(id, {Kind::MemWrite, t, 0, false, "REGION_WRITE"});
    }
}

void Bridge::cfg_read(const tlp::Tlp &t) {
    ++counters_.cfg_reads;
    if (t.dest_id != device_bdf_)
        return fail_request(t, tlp::CplStatus::UR);
    if (t.first_be == 0) {
        inject(tlp::Tlp::completion_data(t.requester_id, t.tag, device_bdf_, 4, 0, {0, 0, 0, 0}));
        return;
    }
    unsigned lead = 0, end = 4;
    while (!(t.first_be & (1u << lead)))
        ++lead;
    while (!(t.first_be & (1u << (end - 1))))
        --end;
    vuc_id id = 0;
    const int rc = vuc_submit_region_read(
        ctx_, VU_PCI_CONFIG_REGION, uint64_t(t.register_number) * 4 + lead, end - lead, 0, &id);
    if (rc < 0)
        return unsent(t, rc);
    track(id, {Kind::CfgRead, t, lead, true, "REGION_READ cfg"});
}

void Bridge::cfg_write(const tlp::Tlp &t) {
    ++counters_.cfg_writes;
    if (t.dest_id != device_bdf_)
        return fail_request(t, tlp::CplStatus::UR);
    const std::vector<Run> runs = enabled_runs(t);
    if (runs.empty()) {
        inject(tlp::Tlp::completion(t, device_bdf_, tlp::CplStatus::SC));
        return;
    }
    for (size_t i = 0; i < runs.size(); ++i) {
        const Run &r = runs[i];
        const uint64_t off = uint64_t(t.register_number) * 4 + r.first;
        snoop_cfg(unsigned(off), &t.payload[r.first], r.len);
        vuc_id id = 0;
        const int rc = vuc_submit_region_write(ctx_, VU_PCI_CONFIG_REGION, off, &t.payload[r.first],
                                               uint32_t(r.len), 0, &id);
        const bool last = i + 1 == runs.size();
        if (rc < 0) {
            if (last)
                unsent(t, rc);
            continue;
        }
        track(id, {Kind::CfgWrite, t, 0, last, "REGION_WRITE cfg"});
    }
}

// A refusal the scenario said would come (`-> refused`) is its expectation
// met; any other stays a failure of the run.
bool Bridge::refusal_expected(const tlp::Tlp &t) {
    for (auto it = expected_refusals_.begin(); it != expected_refusals_.end(); ++it) {
        if (*it == t.first_byte_address()) {
            expected_refusals_.erase(it);
            ++counters_.mmio_write_refusals_expected;
            return true;
        }
    }
    return false;
}

// IORd: one DW at most, decoded against the I/O BARs (UR outside them);
// the enabled bytes are read from the BAR's region, the CplD carries Byte
// Count 4 and Lower Address 0 as every I/O completion does.
void Bridge::io_read(const tlp::Tlp &t) {
    ++counters_.io_reads;
    if (t.first_be == 0) {
        if (!bars_.decode_io(t.address, 4))
            return fail_request(t, tlp::CplStatus::UR);
        inject(tlp::Tlp::completion_data(t.requester_id, t.tag, device_bdf_, 4, 0, {0, 0, 0, 0}));
        return;
    }
    const uint32_t bytes = t.request_bytes();
    const uint64_t addr = t.first_byte_address();
    const std::optional<BarHit> hit = bars_.decode_io(addr, bytes);
    if (!hit)
        return fail_request(t, tlp::CplStatus::UR);
    if (before_request_)
        before_request_(VU_CMD_REGION_READ);
    vuc_id id = 0;
    const int rc = vuc_submit_region_read(ctx_, hit->index, hit->offset, bytes, 0, &id);
    if (rc < 0)
        return unsent(t, rc);
    track(id, {Kind::IoRead, t, unsigned(addr & 3), true, "REGION_READ io"});
}

// IOWr: non-posted, so its Cpl says whether the server took every run of
// enabled bytes (one REGION_WRITE each; the last one answers).
void Bridge::io_write(const tlp::Tlp &t) {
    ++counters_.io_writes;
    const std::vector<Run> runs = enabled_runs(t);
    const uint64_t base = t.address & ~uint64_t(3);
    for (const Run &r : runs)
        if (!bars_.decode_io(base + r.first, r.len))
            return fail_request(t, tlp::CplStatus::UR);
    if (runs.empty()) {
        const bool decoded = bars_.decode_io(base, 4).has_value();
        inject(tlp::Tlp::completion(t, device_bdf_,
                                    decoded ? tlp::CplStatus::SC : tlp::CplStatus::UR));
        return;
    }
    for (size_t i = 0; i < runs.size(); ++i) {
        const Run &r = runs[i];
        const BarHit hit = *bars_.decode_io(base + r.first, r.len);
        if (before_request_)
            before_request_(VU_CMD_REGION_WRITE);
        vuc_id id = 0;
        const int rc = vuc_submit_region_write(ctx_, hit.index, hit.offset, &t.payload[r.first],
                                               uint32_t(r.len), 0, &id);
        const bool last = i + 1 == runs.size();
        if (rc < 0) {
            if (last)
                unsent(t, rc);
            continue;
        }
        track(id, {Kind::IoWrite, t, 0, last, "REGION_WRITE io"});
    }
}

void Bridge::finish(const Pending &p, const vuc_result &r) {
    const tlp::Tlp &t = p.req;
    // An error reply saying our request was malformed, or a reply that did
    // not fit it (the client's validation gives EPROTO): the two sides no
    // longer agree on the stream (failure category "protocol error").
    if (r.status == -EPROTO || r.status == -EBADMSG || r.status == -EINVAL)
        ++counters_.protocol_events;
    switch (p.kind) {
    case Kind::MemRead: {
        if (r.status < 0)
            return fail_request(t, completion_status_for_errno(r.status));
        if (r.data_len != t.request_bytes()) {
            note_failure("REGION_READ reply with " + std::to_string(r.data_len) + " bytes for " +
                         std::to_string(t.request_bytes()));
            return fail_request(t, tlp::CplStatus::CA);
        }
        inject_read_completions(t, std::vector<uint8_t>(r.data, r.data + r.data_len));
        return;
    }
    case Kind::MemWrite:
        if (r.status < 0) {
            ++counters_.mmio_write_errors;
            if (refusal_expected(t))
                return;
            note_failure("server refused a posted MMIO write (errno " + std::to_string(-r.status) +
                         "): " + t.describe());
        }
        return;
    case Kind::CfgRead: {
        if (r.status < 0)
            return fail_request(t, completion_status_for_errno(r.status));
        std::vector<uint8_t> dw(4, 0);
        for (size_t i = 0; i < r.data_len && p.lead + i < 4; ++i)
            dw[p.lead + i] = r.data[i];
        snoop_cfg(unsigned(t.register_number) * 4 + p.lead, r.data, r.data_len);
        inject(tlp::Tlp::completion_data(t.requester_id, t.tag, device_bdf_, 4, 0, dw));
        return;
    }
    case Kind::IoRead: {
        if (r.status < 0)
            return fail_request(t, completion_status_for_errno(r.status));
        if (r.data_len != t.request_bytes()) {
            note_failure("REGION_READ io reply with " + std::to_string(r.data_len) + " bytes for " +
                         std::to_string(t.request_bytes()));
            return fail_request(t, tlp::CplStatus::CA);
        }
        std::vector<uint8_t> dw(4, 0);
        for (size_t i = 0; i < r.data_len && p.lead + i < 4; ++i)
            dw[p.lead + i] = r.data[i];
        inject(tlp::Tlp::completion_data(t.requester_id, t.tag, device_bdf_, 4, 0, dw));
        return;
    }
    case Kind::IoWrite:
    case Kind::CfgWrite:
        if (!p.respond)
            return;
        if (r.status < 0)
            return fail_request(t, completion_status_for_errno(r.status));
        inject(tlp::Tlp::completion(t, device_bdf_, tlp::CplStatus::SC));
        return;
    case Kind::HostCmd:
        if (r.status < 0)
            note_failure(p.what + " failed with errno " + std::to_string(-r.status));
        return;
    case Kind::AwaitedCmd: // its result is kept for its sender (complete)
        return;
    }
}

namespace {
std::string hex(uint64_t v) {
    char b[24];
    snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}
} // namespace

// A successful host read's CplDs: how they are split and where in the RX
// FIFO they go are the scheduler's choices (choose_completions).
void Bridge::inject_read_completions(const tlp::Tlp &req, const std::vector<uint8_t> &data) {
    const std::string what = "CplD tag " + std::to_string(req.tag) + " " +
                             hex(req.first_byte_address()) + "+" + std::to_string(data.size());
    std::vector<tlp::Tlp> cpls = tlp::read_completions(req, device_bdf_, data, rcb_, mps_);
    if (choose_ && mps_ > rcb_) {
        std::vector<tlp::Tlp> fine = tlp::read_completions(req, device_bdf_, data, rcb_, rcb_);
        if (fine.size() != cpls.size()) {
            const std::vector<std::string> options = {what + " as " + std::to_string(cpls.size()) +
                                                          " CplD up to MPS " + std::to_string(mps_),
                                                      what + " as " + std::to_string(fine.size()) +
                                                          " CplD, one per RCB " +
                                                          std::to_string(rcb_)};
            if (choose_("cpl-split", options) == 1)
                cpls = std::move(fine);
        }
    }
    RxEntry e(lanes_ * 32);
    e.read_cpl = true;
    e.tag = req.tag;
    for (const tlp::Tlp &c : cpls)
        e.beats.add(c);
    rx_beats_ += e.beats.beats();
    // Entries it may pass: other reads' completions not yet begun, back to
    // anything else; never the front (its first beat may be on the pins).
    std::vector<std::string> options = {what + " in arrival order"};
    for (size_t k = rx_.size(); k > 1 && rx_[k - 1].read_cpl && rx_[k - 1].beats.taken() == 0; --k)
        options.push_back(what + " before tag " + std::to_string(rx_[k - 1].tag));
    const size_t c = choose_ && options.size() > 1 ? choose_("cpl-order", options) : 0;
    rx_.insert(rx_.end() - long(c), std::move(e));
}

void Bridge::snoop_cfg(unsigned offset, const uint8_t *bytes, size_t n) {
    for (size_t i = 0; i < n && offset + i < cfg_shadow_.size(); ++i)
        cfg_shadow_[offset + i] = bytes[i];
    if (offset <= 4 && offset + n > 4) {
        bars_.set_memory_enabled(cfg_shadow_[4] & 0x2);
        bars_.set_io_enabled(cfg_shadow_[4] & 0x1);
    }
}

void Bridge::snoop_msix(unsigned bar, uint64_t offset, const uint8_t *bytes, size_t n) {
    if (msix_vectors_ == 0 || bar != msix_bar_)
        return;
    for (size_t i = 0; i < n; ++i) {
        const uint64_t o = offset + i;
        if (o >= msix_offset_ && o - msix_offset_ < msix_shadow_.size())
            msix_shadow_[o - msix_offset_] = bytes[i];
    }
}

} // namespace rcsim
