// The root port's pins as plain values, one snapshot per rising clock edge.
// The top (harness_top.hpp) copies the verilated model's outputs into RtlOut and the
// harness's driven inputs into RtlIn; every component (host port driver,
// host memory port, bridge) sees the same pair: a transfer on this edge is
// `in.x_valid && out.x_ready` (or the reverse), then the component writes
// the values it drives for the next cycle into `in`. Keeping the components
// free of SystemC types lets them stay small and testable.
#pragma once

#include "tlp_beats.hpp"

#include <array>
#include <cstdint>

namespace rcsim {

using Lanes = std::array<uint32_t, tlp::kMaxLanes>;

// A text annotation port's value (the wrapper's LABEL_CHARS): characters in
// reading order, NUL-padded; all NUL shows nothing. 48: the longest label
// (sim/report/tlp_labels.hpp) and a spare byte; each FST value change of a
// label costs the writer a byte per bit, so no wider than that.
constexpr unsigned kLabelChars = 48;
using Label = std::array<char, kLabelChars>;

// Host status codes of the root port's response port (rtl/README.md).
enum class HostStatus : uint8_t { SC = 0, UR = 1, CA = 2, Timeout = 3, Poisoned = 4, BadReq = 5 };
const char *to_string(HostStatus s);

// The root port's hreq_op codes (rtl/README.md); bit 0 = carries write data.
enum class HostOp : uint8_t { MemRd = 0, MemWr = 1, CfgRd = 2, CfgWr = 3, IoRd = 4, IoWr = 5 };

struct RtlOut {
    bool hreq_ready = false, hwd_ready = false;
    bool hrsp_valid = false, hrsp_sop = false, hrsp_eop = false;
    uint8_t hrsp_id = 0, hrsp_status = 0;
    tlp::Keep hrsp_keep = 0;
    Lanes hrsp_data{};
    bool tx_valid = false;
    tlp::Beat tx;
    bool rx_ready = false;
    bool hmem_rd_valid = false;
    uint64_t hmem_rd_addr = 0;
    unsigned hmem_rd_len_dw = 0;
    bool hmem_rdata_ready = false;
    bool hmem_wr_valid = false, hmem_wr_sop = false, hmem_wr_eop = false;
    uint64_t hmem_wr_addr = 0;
    unsigned hmem_wr_len_dw = 0;
    uint8_t hmem_wr_first_be = 0, hmem_wr_last_be = 0;
    Lanes hmem_wr_data{};
    bool hmem_wrsp_ready = false;
    bool irq_valid = false;
    uint64_t irq_addr = 0;
    uint32_t irq_data = 0;
    uint8_t intx = 0;
    bool idle = false;
    unsigned tags_in_use = 0;
    uint32_t cnt_malformed = 0, cnt_unexp_cpl = 0, cnt_late_cpl = 0, cnt_unsup_req = 0,
             cnt_poisoned_req = 0, cnt_host_bad_req = 0;
};

struct RtlSettings {
    uint8_t mps_code = 0, mrrs_code = 2; // PCIe encoding: 128 << code bytes
    bool rcb128 = false;
    uint32_t cpl_timeout = 50000;
    uint16_t rp_id = 0x0000;
    uint64_t msi_base = 0xfee00000ull, msi_limit = 0xfeefffffull;
};

struct RtlIn {
    bool hreq_valid = false;
    HostOp hreq_op = HostOp::MemRd;
    uint8_t hreq_id = 0;
    uint64_t hreq_addr = 0;
    unsigned hreq_len_dw = 1;
    uint8_t hreq_first_be = 0, hreq_last_be = 0;
    uint16_t hreq_cfg_bdf = 0, hreq_cfg_reg = 0;
    bool hwd_valid = false;
    Lanes hwd_data{};
    bool hrsp_ready = true;
    bool tx_ready = true;
    bool rx_valid = false;
    tlp::Beat rx;
    bool hmem_rd_ready = true;
    bool hmem_rdata_valid = false, hmem_rdata_last = false, hmem_rdata_err = false;
    Lanes hmem_rdata{};
    bool hmem_wr_ready = true;
    bool hmem_wrsp_valid = false, hmem_wrsp_err = false;
    bool irq_ready = true;
    bool cfg_we = false;
    RtlSettings cfg;
    // Annotation ports (FST only).
    uint8_t ann_msg_dir = 0;
    uint8_t ann_msg_sock = 0; // 0 main, 1 twin, 2.. map sockets (vuc_sock)
    uint16_t ann_msg_cmd = 0, ann_msg_id = 0;
    uint64_t ann_msg_addr = 0;
    uint32_t ann_msg_len = 0, ann_decision = 0;
    Label ann_tx_tlp{}, ann_rx_tlp{}, ann_host_req{}, ann_host_rsp{};
    Label ann_fabric_tlp{}; // several devices: the latest TLP leaving a fabric port
    // Bumped by whoever changes a label: the model copies the five labels
    // (wide ports) only when this moved, not on every edge.
    uint32_t ann_labels_gen = 0;
};

// Called by the top on every rising edge.
class EdgeSink {
  public:
    virtual ~EdgeSink() = default;
    virtual void on_edge(const RtlOut &out, RtlIn &in) = 0;
};

} // namespace rcsim
