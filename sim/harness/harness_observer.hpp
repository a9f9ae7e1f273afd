// What a tracer sees of a harness run: every vfio-user message on both
// sockets, every clock edge's pins (so TLPs, host memory and interrupts can
// be followed beat by beat) and every admission decision. The harness calls
// these synchronously; an observer must not call back into the harness
// except for read-only queries (cycles(), top().time_ps()).
#pragma once

#include "decision_log.hpp"
#include "rtl_ports.hpp"
#include "tlp.hpp"

#include "vfio_user/client.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace rcsim {

class HarnessObserver {
  public:
    virtual ~HarnessObserver() = default;
    // A whole message as the client's trace hook reports it: what we send
    // when it is sent, what we read when it is read (before validation).
    virtual void on_message(enum vuc_sock sock, bool from_client, const struct vu_hdr &hdr,
                            const uint8_t *payload, size_t payload_len, unsigned nfds) = 0;
    // Every rising edge, before the harness's components run: `in` still
    // holds what was driven during the cycle that ends at this edge, so a
    // transfer is `in.x_valid && out.x_ready` (or the reverse). While an
    // observer is attached the harness leaves the annotation ports to it:
    // it may write the annotation fields (ann_*) of `in`, nothing else.
    virtual void on_edge(const RtlOut &out, RtlIn &in) = 0;
    // Every decision the admission logic took, after it was logged.
    virtual void on_decision(const Decision &d) = 0;
    // A MemRd or a MemWr's run of bytes the bridge served from a mapped
    // area of `bar`, with no message (the bytes loaded or stored).
    virtual void on_mapped_access(bool is_write, unsigned bar, uint64_t offset,
                                  const uint8_t *bytes, size_t len) {
        (void)is_write, (void)bar, (void)offset, (void)bytes, (void)len;
    }
    // Several devices (issue 20): a TLP leaving a port of the fabric (root
    // complex or switch), `hop` naming the port ("rp2", "sw0.1", "sw0",
    // "host"), on the edge it leaves. Which device a message belongs to is
    // Harness::message_device() during on_message.
    virtual void on_fabric_hop(const tlp::Tlp &t, const std::string &hop) { (void)t, (void)hop; }
};

} // namespace rcsim
