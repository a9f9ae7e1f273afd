// The fabric on the root port's link (issue 20): the root port's TX beats
// go into the fabric as TLPs, the TLPs the fabric sends the host come out
// on the root port's RX port as beats, and each device's bridge sits on a
// link of its own, beats both ways, as it would sit on the root port's.
// Every link keeps the beat handshake of rtl/README.md: a transfer on an
// edge is valid && ready as they were driven before it.
#pragma once

#include "fabric.hpp"
#include "rtl_ports.hpp"
#include "tlp_beats.hpp"

#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace rcsim::fabric {

class FabricLink {
  public:
    FabricLink(Fabric &fabric, unsigned lanes);

    // One rising edge: the root port's pins (`out` sampled, `in` driven for
    // the next cycle), then every device's bridge (`devices[d]`, nullptr
    // for a device with no bridge: its TLPs are dropped), then the fabric's
    // own edge.
    void on_edge(const RtlOut &out, RtlIn &in, const std::vector<EdgeSink *> &devices);
    // Nothing on any link, staged or inside the fabric.
    bool idle() const;
    // Beats that did not make a TLP (a bridge or the root port broke the
    // framing): what, for the failure report. Empty when none.
    const std::vector<std::string> &failures() const { return failures_; }
    // The root port's MSI window: a MemWr there is an interrupt, no write
    // into host memory.
    void set_msi_window(uint64_t base, uint64_t limit) {
        msi_base_ = base;
        msi_limit_ = limit;
    }
    // Whose write host memory has just taken ([dw_addr, len_dw) as the host
    // memory port reports it): the requester of the oldest MemWr handed to
    // the root port with that address and length (the root port writes in
    // arrival order). False when none matches.
    bool host_write_requester(uint64_t dw_addr, unsigned len_dw, uint16_t *requester);

  private:
    // One side of a link as this end sees it: TLPs assembled from the beats
    // coming in, the one waiting for room in the fabric, and the beats of
    // the TLP going out.
    struct End {
        explicit End(unsigned width) : in(width), out(width) {}
        tlp::BeatAssembler in;
        std::optional<tlp::Tlp> staged;
        tlp::BeatQueue out;
        bool sending() const { return !out.empty(); }
    };
    // A device link's pins as its bridge sees them.
    struct DeviceLink {
        explicit DeviceLink(unsigned width) : end(width) {}
        End end;
        RtlOut out;
        RtlIn in;
    };
    void host_edge(const RtlOut &out, RtlIn &in);
    void device_edge(size_t d, EdgeSink *bridge);
    bool take(End &e, const tlp::Beat &b, const std::string &who);

    struct HostWrite {
        uint16_t requester;
        uint64_t dw_addr;
        unsigned len_dw;
    };
    // MemWrs handed to the root port, not yet taken by host memory.
    std::deque<HostWrite> host_writes_;
    uint64_t msi_base_ = 0, msi_limit_ = 0;
    void note_host_write(const tlp::Tlp &t);
    Fabric &fabric_;
    unsigned width_;
    End host_;
    std::vector<DeviceLink> links_;
    std::vector<std::string> failures_;
};

} // namespace rcsim::fabric
