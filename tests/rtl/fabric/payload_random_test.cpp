// A random test of fabric_switch's payload data path (PAYLOAD=1) against a
// reference written from rtl/fabric/README.md ("Payload data path"), not
// from the RTL. Per seed, a few thousand MemWr (1..64 DW, a few oversized),
// MemRd and CplD between the upstream port (4) and downstream ports 0..3 of
// program_switch_topology's hierarchy, with random egress readiness, credit
// blocks and a stalled egress now and then. The reference says where each
// TLP leaves, with which beats, in which order; oversized ones never leave.
#include "Vswpl128.h"
#include "Vswpl64.h"
#include "switch_bench.hpp"

#include <verilated.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>

namespace {

using namespace rcsim::fabric_test;
constexpr unsigned kUp = 4, kPorts = 5;
constexpr unsigned kTlps = 2000;        // per seed
constexpr unsigned kMaxCycles = 400000; // far beyond a run's need: a hang
constexpr unsigned kHang = 20000;       // cycles in which no TLP left: a hang
constexpr unsigned kMaxDw = 64;         // MPS 256 bytes
constexpr unsigned kQueue = 4;          // TLPs a sender holds at most

// A TLP as the sender made it: the header, where the reference says it
// goes, its payload length and how many of its beats the switch took.
struct Sent {
    Tlp h;
    unsigned src = 0, dst = 0, ndw = 0, fed = 0;
    bool pl = false, over = false;
};

std::string describe(const Sent &s) {
    static const char *const names[] = {"MemWr", "MemRd", "CplD"};
    std::ostringstream o;
    o << names[s.h.cls] << " hdr " << s.h.hdr << " from " << s.src << " to " << s.dst << " addr 0x"
      << std::hex << s.h.addr << " id 0x" << s.h.id << std::dec << " " << s.ndw << " DW"
      << (s.over ? " (oversized)" : "");
    return o.str();
}

// DW i of TLP hdr's payload: different for every TLP and every DW
uint32_t payload_dw(uint32_t hdr, unsigned i) {
    return hdr * 0x9e3779b1u + i * 0x10001u + 1;
}

// A payload's lane (README: in_beat_np): posted, or the others.
unsigned lane_of(const Sent &s) {
    return s.h.cls == kP ? 0 : 1;
}

template <class Model, unsigned NW, unsigned SLOTS>
class PayloadRandom : public ::testing::Test, protected SwitchBench<Model, kPorts> {
  protected:
    using B = SwitchBench<Model, kPorts>;
    using B::m_;
    static constexpr unsigned kW = 32 * NW;

    void SetUp() override { this->start_idle(); }

    // Runs one seed to the end: every TLP delivered or dropped, then the
    // counters and the buffer checked. Stops at the first failed check.
    void run(unsigned seed) {
        seed_ = seed;
        rng_.seed(seed);
        this->program_topology();
        if (::testing::Test::HasFatalFailure())
            return;
        while (cyc_ < kMaxCycles && !failed_) {
            if (cyc_ % 1000 == 0)
                stalled_ = (rng_() % 4 == 0) ? int(rng_() % kPorts) : -1;
            make_tlps();
            cycle();
            if ((made_ == kTlps && live_.empty()) || cyc_ - progress_ > kHang)
                break;
        }
        if (failed_)
            return;
        if (!live_.empty()) {
            fail(live_.begin()->second,
                 "never left (hang or slot leak; " + std::to_string(live_.size()) + " TLPs left)");
            return;
        }
        EXPECT_EQ(m_->cnt_pl_over, over_) << "seed " << seed_;
        EXPECT_EQ(m_->cnt_p_drop, over_) << "seed " << seed_; // oversized ones are posted
        EXPECT_EQ(m_->cnt_cpl_drop, 0u) << "seed " << seed_;
        EXPECT_EQ(m_->cnt_ur_cpl, 0u) << "seed " << seed_;
        EXPECT_GT(over_, 0u) << "seed " << seed_ << " made no oversized TLP";
        EXPECT_GT(interleaved_, 0u) << "seed " << seed_ << " never interleaved two lanes";
        expect_all_slots_free();
    }

  private:
    void fail(const Sent &s, const std::string &what) {
        ADD_FAILURE() << "seed " << seed_ << " cycle " << cyc_ << ": " << describe(s) << ": "
                      << what;
        failed_ = true;
    }

    // a TLP delivered or dropped: it is done with, and the switch moves
    void forget(uint32_t hdr) {
        live_.erase(hdr);
        progress_ = cyc_;
    }

    // Address of a memory TLP for egress dst: a port's own 16 MiB window,
    // or (up) outside the switch's 0x8000_0000..0x8fff_ffff.
    uint64_t mem_addr(unsigned dst) {
        const uint64_t off = 64 * (rng_() % 4096);
        return dst == kUp ? 0x10000000ull + off : 0x80000000ull + dst * 0x1000000ull + off;
    }

    // A bus owned by egress dst (ID routing): bus 0 is above the switch.
    static unsigned bus_of(unsigned dst) { return dst == kUp ? 0 : 0x10 * (dst + 1); }

    Sent random_tlp(unsigned src) {
        Sent s;
        s.src = src;
        do {
            s.dst = rng_() % kPorts;
        } while (s.dst == src);
        s.h.hdr = next_hdr_++;
        s.h.tag = s.h.hdr & 0xff;
        s.h.req_id = bus_of(src) << 8;
        const unsigned r = rng_() % 8;
        if (r < 4) { // MemWr
            s.h.kind = kMem;
            s.h.cls = kP;
            s.h.wr = 1;
            s.h.addr = mem_addr(s.dst);
            s.pl = true;
            s.ndw = 1 + rng_() % kMaxDw;
            if (rng_() % 40 == 0) {
                s.ndw = kMaxDw + 1 + rng_() % 8;
                s.over = true;
            }
        } else if (r < 6) { // MemRd
            s.h.kind = kMem;
            s.h.cls = kNp;
            s.h.addr = mem_addr(s.dst);
        } else { // CplD to a requester on dst's bus
            s.h.kind = kCpl;
            s.h.cls = kCplCls;
            s.h.wr = 1;
            s.h.id = bus_of(s.dst) << 8;
            s.pl = true;
            s.ndw = 1 + rng_() % kMaxDw;
        }
        return s;
    }

    void make_tlps() {
        for (unsigned p = 0; p < kPorts; p++) {
            if (made_ == kTlps || queue_[p].size() >= kQueue || rng_() % 4 != 0)
                continue;
            const Sent s = random_tlp(p);
            live_[s.h.hdr] = s;
            queue_[p].push_back(s.h.hdr);
            if (s.h.cls == kP && !s.over)
                posted_[p][s.dst].insert(s.h.hdr);
            over_ += s.over ? 1 : 0;
            made_++;
        }
    }

    // The TLP whose beats port p feeds this cycle, if any. README: one
    // payload per lane at a time (a lane's next payload starts after its
    // header was taken), beats of the two lanes may interleave. Headers go
    // in order, so a later payload may start only while every earlier one
    // already holds a slot (it has a beat in): otherwise two ports could
    // each park a later payload in a slot their first one waits for.
    Sent *feeding(unsigned p) {
        Sent *can[2] = {};
        unsigned n = 0, lanes = 0;
        bool slotless = false; // an earlier payload has no beat in yet
        for (uint32_t hdr : queue_[p]) {
            Sent &s = live_.at(hdr);
            if (!s.pl)
                continue;
            const unsigned lane = lane_of(s);
            if (s.fed * NW < s.ndw && !(lanes & (1u << lane)) && !slotless)
                can[n++] = &s;
            lanes |= 1u << lane;
            slotless = slotless || s.fed == 0;
            if (lanes == 3)
                break;
        }
        if (n == 0)
            return nullptr;
        const unsigned pick = rng_() % n;
        interleave_[p] = pick == 1; // beats of the later one, the first unfinished
        return can[pick];
    }

    void drive_beat(unsigned p, const Sent &s) {
        const unsigned first = s.fed * NW, n = std::min(NW, s.ndw - first);
        for (unsigned j = 0; j < NW; j++)
            put(m_->in_beat_data, kW * p + 32 * j, 32, j < n ? payload_dw(s.h.hdr, first + j) : 0);
        put(m_->in_beat_keep, NW * p, NW, (1u << n) - 1);
        put(m_->in_beat_eop, p, 1, first + n == s.ndw);
        put(m_->in_beat_np, p, 1, lane_of(s));
        put(m_->in_beat_valid, p, 1, 1);
    }

    void drive_header(unsigned p, const Sent &s) {
        put(m_->in_pl, p, 1, s.pl);
        this->offer(p, s.h); // the fields, in_valid (and an eval)
    }

    // The senders and receivers decide from the random draws alone (a
    // valid never waits for a ready), then the model settles.
    void drive() {
        for (unsigned p = 0; p < kPorts; p++) {
            put(m_->in_valid, p, 1, 0);
            put(m_->in_beat_valid, p, 1, 0);
            interleave_[p] = false;
            beat_of_[p] = feeding(p);
            if (beat_of_[p] && rng_() % 3 != 0)
                drive_beat(p, *beat_of_[p]);
            else
                beat_of_[p] = nullptr;
            if (!queue_[p].empty() && rng_() % 4 != 0)
                drive_header(p, live_.at(queue_[p].front()));
        }
        for (unsigned q = 0; q < kPorts; q++) {
            const bool stall = int(q) == stalled_;
            put(m_->out_ready, q, 1, !stall && rng_() % 3 != 0);
            put(m_->out_beat_ready, q, 1, !stall && rng_() % 4 != 0);
            put(m_->out_blocked, 3 * q, 3, rng_() % 4 == 0 ? rng_() % 8 : 0);
        }
        m_->eval();
    }

    void cycle() {
        cyc_++;
        drive();
        bool took_hdr[kPorts], took_beat[kPorts];
        for (unsigned p = 0; p < kPorts; p++) {
            took_hdr[p] = get(m_->in_valid, p, 1) && get(m_->in_ready, p, 1);
            took_beat[p] = beat_of_[p] && get(m_->in_beat_ready, p, 1);
        }
        check_done(took_hdr);
        for (unsigned q = 0; q < kPorts && !failed_; q++) {
            if (get(m_->out_valid, q, 1) && get(m_->out_ready, q, 1))
                check_header(q);
            if (!failed_ && get(m_->out_beat_valid, q, 1) && get(m_->out_beat_ready, q, 1))
                check_beat(q);
        }
        this->tick();
        for (unsigned p = 0; p < kPorts && !failed_; p++) {
            if (took_beat[p])
                beat_of_[p]->fed++;
            interleaved_ += took_beat[p] && interleave_[p] ? 1 : 0;
            if (took_hdr[p])
                taken(p);
        }
        if (dropped_)
            forget(*dropped_);
        dropped_.reset();
    }

    // README: a header with in_pl is taken with its eop beat at the
    // earliest; then the sender moves on to its next TLP.
    void taken(unsigned p) {
        Sent &s = live_.at(queue_[p].front());
        if (s.pl && s.fed * NW < s.ndw) {
            fail(s, "header taken before its eop beat (" + std::to_string(s.fed) + " beats in)");
            return;
        }
        queue_[p].pop_front();
    }

    // done_valid: only an oversized TLP, in the cycle its header is taken.
    void check_done(const bool *took_hdr) {
        if (!m_->done_valid)
            return;
        const auto it = live_.find(m_->done_hdr);
        if (it == live_.end()) {
            ADD_FAILURE() << "seed " << seed_ << " cycle " << cyc_ << ": done_hdr " << m_->done_hdr
                          << " names no live TLP";
            failed_ = true;
            return;
        }
        const Sent &s = it->second;
        if (!s.over || !took_hdr[s.src] || queue_[s.src].front() != s.h.hdr) {
            fail(s, "on done_hdr, yet not an oversized TLP taken this cycle");
            return;
        }
        dropped_ = s.h.hdr;
    }

    // A header leaving egress q: the TLP the reference sends there, whole,
    // with out_pl as sent, while no payload streams, passing no earlier
    // posted TLP of its (ingress, egress) pair.
    void check_header(unsigned q) {
        const uint32_t hdr = get(m_->out_hdr, 32 * q, 32);
        const auto it = live_.find(hdr);
        if (it == live_.end()) {
            ADD_FAILURE() << "seed " << seed_ << " cycle " << cyc_ << ": egress " << q
                          << " sends hdr " << hdr << ", no live TLP";
            failed_ = true;
            return;
        }
        const Sent &s = it->second;
        if (s.dst != q || s.over)
            return fail(s, "leaves egress " + std::to_string(q));
        if (rx_[q])
            return fail(s, "header while " + describe(*rx_[q]) + " streams");
        const bool pl = get(m_->out_pl, q, 1) != 0;
        if (pl != s.pl)
            return fail(s, std::string("out_pl ") + (pl ? "set" : "clear"));
        const Tlp &t = s.h;
        if (get(m_->out_kind, 3 * q, 3) != t.kind || get(m_->out_cls, 2 * q, 2) != t.cls ||
            get(m_->out_wr, q, 1) != t.wr || get(m_->out_addr, 64 * q, 64) != t.addr ||
            get(m_->out_id, 16 * q, 16) != t.id || get(m_->out_req_id, 16 * q, 16) != t.req_id ||
            get(m_->out_tag, 8 * q, 8) != t.tag)
            return fail(s, "header fields changed on the way");
        auto &earlier = posted_[s.src][q];
        if (!earlier.empty() && *earlier.begin() < hdr)
            return fail(s, "passed earlier posted hdr " + std::to_string(*earlier.begin()));
        earlier.erase(hdr);
        if (pl) {
            rx_[q] = &it->second;
            rx_beats_[q] = 0;
        } else {
            forget(hdr);
        }
    }

    // A beat leaving egress q: the next one of the streaming TLP's payload,
    // packed as it went in (README: DW i in lane i % NW of beat i / NW).
    void check_beat(unsigned q) {
        if (!rx_[q]) {
            ADD_FAILURE() << "seed " << seed_ << " cycle " << cyc_ << ": egress " << q
                          << " sends a beat with no header";
            failed_ = true;
            return;
        }
        const Sent &s = *rx_[q];
        const unsigned b = rx_beats_[q]++, first = b * NW, n = std::min(NW, s.ndw - first);
        const std::string at = "beat " + std::to_string(b) + ": ";
        if (get(m_->out_beat_keep, NW * q, NW) != (1u << n) - 1)
            return fail(s, at + "keep " + std::to_string(get(m_->out_beat_keep, NW * q, NW)));
        for (unsigned j = 0; j < n; j++) {
            if (get(m_->out_beat_data, kW * q + 32 * j, 32) != payload_dw(s.h.hdr, first + j))
                return fail(s, at + "DW " + std::to_string(first + j) + " differs");
        }
        const bool sop = get(m_->out_beat_sop, q, 1) != 0, eop = get(m_->out_beat_eop, q, 1) != 0;
        if (sop != (b == 0) || eop != (first + n == s.ndw))
            return fail(s, at + "sop " + std::to_string(sop) + " eop " + std::to_string(eop));
        if (eop) {
            rx_[q] = nullptr;
            forget(s.h.hdr);
        }
    }

    // With everything drained the whole buffer is free: SLOTS+1 ports each
    // offer a payload beat (no header follows) and exactly SLOTS are taken.
    void expect_all_slots_free() {
        bool got[kPorts] = {};
        unsigned taken = 0;
        for (unsigned cyc = 0; cyc < 8; cyc++) {
            for (unsigned p = 0; p <= SLOTS; p++) {
                put(m_->in_beat_keep, NW * p, NW, 1);
                put(m_->in_beat_eop, p, 1, 1);
                put(m_->in_beat_np, p, 1, 0);
                put(m_->in_beat_valid, p, 1, got[p] ? 0 : 1);
            }
            m_->eval();
            for (unsigned p = 0; p <= SLOTS; p++) {
                if (!got[p] && get(m_->in_beat_ready, p, 1)) {
                    got[p] = true;
                    taken++;
                }
            }
            this->tick();
        }
        EXPECT_EQ(taken, SLOTS) << "seed " << seed_ << ": payload slots free at the end";
    }

    unsigned seed_ = 0, cyc_ = 0, progress_ = 0, made_ = 0, over_ = 0, interleaved_ = 0;
    uint32_t next_hdr_ = 1;
    std::mt19937 rng_;
    int stalled_ = -1;                          // an egress taking nothing for a while
    std::map<uint32_t, Sent> live_;             // made, not yet delivered or dropped
    std::deque<uint32_t> queue_[kPorts];        // each sender's headers, in order
    std::set<uint32_t> posted_[kPorts][kPorts]; // posted, not yet out: per (src, dst)
    std::optional<uint32_t> dropped_;           // done_hdr this cycle, forgotten after it
    bool interleave_[kPorts] = {}; // that beat is another lane's, the first one unfinished
    Sent *beat_of_[kPorts] = {};   // the TLP whose beat is offered this cycle
    const Sent *rx_[kPorts] = {};  // the TLP streaming out of each egress
    unsigned rx_beats_[kPorts] = {};
    bool failed_ = false;
};

// Vswpl128: DATA_W 128, 2 slots. Vswpl64: DATA_W 64, 3 slots, EG_SLOTS 1.
class PayloadRandom128 : public PayloadRandom<Vswpl128, 4, 2> {};
class PayloadRandom64 : public PayloadRandom<Vswpl64, 2, 3> {};

TEST_F(PayloadRandom128, Seed1) {
    run(1);
}
TEST_F(PayloadRandom128, Seed2) {
    run(2);
}
TEST_F(PayloadRandom128, Seed3) {
    run(3);
}
TEST_F(PayloadRandom128, Seed4) {
    run(4);
}
TEST_F(PayloadRandom64, Seed1) {
    run(1);
}
TEST_F(PayloadRandom64, Seed2) {
    run(2);
}
TEST_F(PayloadRandom64, Seed3) {
    run(3);
}
TEST_F(PayloadRandom64, Seed4) {
    run(4);
}

} // namespace
