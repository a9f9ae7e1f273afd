// The fabric between the host's root port and the devices' bridges
// (issue 20): one root complex model for the plan's root ports and one
// switch model per switch (rtl/fabric's fabric_switch, verilated), wired
// as the plan says, spoken to in whole TLPs. The RTL routes headers and
// carries payloads as beats; the header fields it does not carry wait in a
// bounded store behind the handles it carries (sim/fabric/README.md).
#pragma once

#include "enumeration_plan.hpp"
#include "fabric_fields.hpp"
#include "fabric_model.hpp"
#include "handle_store.hpp"
#include "tlp.hpp"
#include "wire.hpp"

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace rcsim::fabric {

struct FabricCounters {
    uint64_t tlps_in = 0, tlps_out = 0; // accepted by from_*, handed to an exit
    uint64_t ur_made = 0;               // UR completions the models made
    uint64_t posted_dropped = 0;        // posted requests nobody claimed (or not routed)
    uint64_t np_unrouted = 0;           // non-posted requests of a kind the fabric cannot route
    uint64_t cpl_dropped = 0;           // completions nobody claimed
    uint64_t payload_overrun = 0;       // TLPs a model dropped whole: payload beyond kMps
};

// One hop: the TLP and the port it left by, e.g. "rp2" (a root port),
// "sw0.1" (a switch's downstream port), "sw0" (a switch's upstream port),
// "host" (the root complex's host side).
using HopTrace = std::function<void(const tlp::Tlp &, const std::string &hop)>;

class Fabric {
  public:
    // TLPs inside at once (the store's capacity, the fabric's credit),
    // TLPs of one class a wire (between two models, or an entry) holds, and
    // TLPs an exit holds.
    static constexpr size_t kCapacity = 64;
    static constexpr size_t kWireDepth = 2;
    static constexpr size_t kExitDepth = 16;
    // Each model's payload buffer (its data credit): kSlots slots of kMps
    // bytes (sim/fabric/CMakeLists.txt verilates them so).
    static constexpr size_t kMps = RCSIM_FABRIC_MPS;
    static constexpr size_t kSlots = RCSIM_FABRIC_SLOTS;

    // One root complex model for the plan's root ports, one switch model
    // per switch; device endpoints are the plan's Device functions in plan
    // order (index d). Ports with nothing attached have link_up = 0. Returns
    // 0, or -EINVAL with `error` naming the function the models cannot hold.
    static int create(const topology::Plan &plan, std::unique_ptr<Fabric> *out, std::string *error);
    ~Fabric();
    Fabric(const Fabric &) = delete;
    Fabric &operator=(const Fabric &) = delete;

    size_t devices() const { return device_at_.size(); }
    // bus<<8 | dev<<3 from the plan; 0 for a d the fabric does not have
    uint16_t device_bdf(size_t d) const { return d < device_bdf_.size() ? device_bdf_[d] : 0; }

    // Offers one TLP into the fabric (from the host: downstream; from
    // device d: upstream). false: no room this cycle (try again later). A
    // TLP the fabric does not route (an address-routed message) is taken
    // and counted as posted_dropped. A broadcast message from the host
    // reaches every device.
    bool from_host(const tlp::Tlp &t);
    bool from_device(size_t d, const tlp::Tlp &t);
    // Takes a TLP leaving the fabric (to the host / to device d), if any.
    bool to_host(tlp::Tlp *t);
    bool to_device(size_t d, tlp::Tlp *t);

    void tick(); // one rising clock edge of every model (and the wiring)
    // Nothing inside any model or wire (TLPs waiting for to_host/to_device
    // are outside).
    bool idle() const;
    // No TLP waiting for to_host/to_device either.
    bool drained() const;
    FabricCounters counters() const { return counters_; }
    // TLPs stored inside (handles in use, out of kCapacity).
    size_t stored() const { return store_.used(); }
    // Posted TLPs the fabric dropped (claimed by no port, or routed to a
    // port with nothing attached): nobody answers a posted request, so their
    // data is lost while the sender believes it delivered. The first
    // kDroppedKept for a report; take_dropped() hands each one out once (the
    // harness completes what a bridge waits for and fails the run).
    static constexpr size_t kDroppedKept = 8;
    const std::vector<tlp::Tlp> &dropped() const { return dropped_kept_; }
    bool take_dropped(tlp::Tlp *t);
    // Payload bytes in the store: 0, payloads are only in the RTL and on
    // the wires between models.
    size_t stored_payload_bytes() const { return store_.payload_bytes(); }
    void set_hop_trace(HopTrace trace) { hop_ = std::move(trace); }

  private:
    // Where a model's egress port leads.
    struct Sink {
        enum class Kind { None, Host, Device, Model } kind = Kind::None;
        size_t index = 0;  // device d or model m
        unsigned port = 0; // the model's ingress port
    };
    // A payload leaving an egress: its header, and the DWs so far when it
    // goes to an exit (to a model, they go onto the wire).
    struct Leaving {
        Fields f;
        std::vector<uint32_t> dws;
    };
    struct ModelPorts {
        std::unique_ptr<Model> model;
        std::array<Leaving, 9> leaving;
        std::array<Sink, 9> sink;
        std::array<Wire, 9> in;          // ingress wires
        std::array<std::string, 9> name; // each port's name, for the trace
        uint8_t present = 0;
        ModelCounts last; // counters at the last tick
        // A class of an egress port was blocked (its wire into the next
        // model full) when last driven: its queued TLPs do not show as
        // out_valid, so the model is not quiet until driven again.
        bool blocked_any = false;
    };
    struct At {
        size_t model = 0;
        unsigned port = 0;
    };
    static bool model_quiet(const ModelPorts &mp);

    Fabric();
    int attach(const topology::Plan &plan, std::string *error);
    int attach_port(const topology::Plan &plan, size_t i, std::vector<At> *at, std::string *error);
    int attach_link(const topology::Plan &plan, size_t i, std::vector<At> *at, std::string *error);
    bool enter(At at, const tlp::Tlp &t);
    void leave(size_t m, unsigned q, const Fields &f);
    void beat_left(size_t m, unsigned q, const tlp::Beat &b);
    void left_whole(size_t m, unsigned q, const Fields &f, const std::vector<uint32_t> &dws);
    tlp::Tlp view(const Fields &f, const std::vector<uint32_t> &dws) const;
    void add_counts();
    void drive(ModelPorts &mp, std::array<bool, 9> *ready);
    void decide(size_t m);
    void edge(size_t m);
    void consumed(uint32_t handle);
    unsigned fan_out(size_t m) const;
    tlp::Tlp made(const Fields &f) const;

    std::vector<ModelPorts> models_;
    std::vector<At> device_at_;
    std::vector<uint16_t> device_bdf_;
    std::deque<tlp::Tlp> to_host_;
    std::vector<std::deque<tlp::Tlp>> to_device_;
    HandleStore store_;
    // Memory reads a model consumed (so: answered UR), by requester << 8 |
    // tag, until their completion leaves: it reports their byte count.
    std::map<uint32_t, tlp::Tlp> ur_reads_;
    unsigned bcast_refs_ = 1; // where a broadcast from the host ends
    FabricCounters counters_;
    HopTrace hop_;
    std::vector<tlp::Tlp> dropped_kept_;
    std::deque<tlp::Tlp> dropped_new_;
    void note_dropped(const tlp::Tlp &t);
    // One edge's decisions, kept between edges so that tick() allocates
    // nothing: what left each model's egresses, what each ingress took,
    // which models were not evaluated.
    struct Left {
        size_t model;
        unsigned port;
        Fields f;
    };
    struct BeatLeft {
        size_t model;
        unsigned port;
        tlp::Beat b;
    };
    struct Took {
        std::array<bool, 9> hdr, beat;
    };
    std::vector<Left> left_;
    std::vector<BeatLeft> beats_left_;
    std::vector<Took> took_;
    std::vector<char> quiet_;
};

} // namespace rcsim::fabric
