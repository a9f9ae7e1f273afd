// The FST's text labels (ann_tx_tlp, ann_rx_tlp, ann_host_req, ann_host_rsp)
// as GTKWave shows them: the FST converted by fst2vcd, each label value
// read as ASCII (first character in the top byte), compared with the JSONL
// trace's records of the same run: every TLP, host request and host
// response has exactly one label change, half a period after the record's
// start_ps (t_ps for the host port), whose fields are the record's, held
// until the next one (no clears). A few
// labels are written here by hand from the PCIe field definitions, and the
// GTKWave layouts' marker is checked against the FST's first TX label.
// RCSIM_TRACE_KEEP_DIR=DIR keeps the files (DIR/<test>.jsonl/.fst).
#include "harness.hpp"
#include "tlp_labels.hpp"
#include "trace_support.hpp"
#include "trace_writer.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <sstream>
#include <unistd.h>

namespace {

using namespace trace_test;
using rcsim::HostStatus;

constexpr const char *kFst2Vcd = "/usr/bin/fst2vcd";
constexpr uint64_t kHalfPeriodPs = 2000; // HarnessTop::kPeriodPs / 2, from rtl/README.md's 250 MHz

// ------------------------------------------------------------ the grammar

std::vector<std::string> words(const std::string &s) {
    std::istringstream in(s);
    std::vector<std::string> w;
    std::string x;
    while (in >> x)
        w.push_back(x);
    return w;
}

// "bb:dd.f" -> routing ID; -1 when malformed.
int64_t bdf(const std::string &s) {
    unsigned b = 0, d = 0, f = 0;
    char tail = 0;
    if (s.size() != 7 || sscanf(s.c_str(), "%2x:%2x.%1x%c", &b, &d, &f, &tail) != 3)
        return -1;
    return int64_t(b << 8 | d << 3 | f);
}

uint64_t hex(const std::string &s) {
    return std::stoull(s, nullptr, 16);
}

// The word after `key` in a label ("len" -> "8"), empty if absent.
std::string after(const std::vector<std::string> &w, const std::string &key) {
    for (size_t i = 0; i + 1 < w.size(); ++i)
        if (w[i] == key)
            return w[i + 1];
    return "";
}

const char *status_name(int64_t code) {
    switch (code) {
    case 0:
        return "SC";
    case 1:
        return "UR";
    case 2:
        return "CRS";
    case 4:
        return "CA";
    }
    return "?";
}

// The number before "DW" in a label ("10DW" -> 10), -1 if none.
int64_t dws(const std::vector<std::string> &w) {
    for (const std::string &x : w)
        if (x.size() > 2 && x.compare(x.size() - 2, 2, "DW") == 0)
            return std::stoll(x.substr(0, x.size() - 2));
    return -1;
}

// The tag word ("t1f"), the first word after the type that reads so.
std::string tag_word(const std::vector<std::string> &w) {
    for (size_t i = 1; i < w.size(); ++i)
        if (w[i].size() == 3 && w[i][0] == 't' && isxdigit(w[i][1]) && isxdigit(w[i][2]))
            return w[i];
    return "";
}

// The label's fields against the JSONL tlp record's: the ID at the end (before
// " EP") is the sender, a completion's completer or else the requester.
void expect_tlp_fields(const std::string &label, const JsonPtr &r) {
    SCOPED_TRACE("label \"" + label + "\"");
    const std::vector<std::string> w = words(label);
    ASSERT_GE(w.size(), 3u);
    const std::string type = str(r, "type");
    EXPECT_EQ(w[0], type);
    const bool completion = type == "Cpl" || type == "CplD";
    const bool message = type == "Msg" || type == "MsgD";
    const std::string tag = tag_word(w);
    ASSERT_EQ(tag.size(), 3u);
    EXPECT_EQ(int64_t(hex(tag.substr(1))), num(r, "tag"));
    const bool poisoned = w.back() == "EP";
    EXPECT_EQ(poisoned, str(r, "poisoned") == "true");
    const std::string id = w[w.size() - (poisoned ? 2 : 1)];
    EXPECT_EQ(bdf(id), int64_t(hex(str(r, completion ? "completer_id" : "requester_id"))));
    const bool with_data = type == "CplD" || type == "MsgD" || type.rfind("MemWr", 0) == 0 ||
                           type == "IoWr" || type == "CfgWr0";
    if (completion || message)
        EXPECT_EQ(dws(w), with_data ? num(r, "len_dw") : -1);
    else
        EXPECT_EQ(dws(w), num(r, "len_dw"));
    if (completion) {
        EXPECT_EQ(w[1], status_name(num(r, "status")));
        EXPECT_EQ(hex(after(w, "lo")), hex(str(r, "lower_addr")));
        const int64_t bc = num(r, "byte_count");
        EXPECT_EQ(std::stoll(after(w, "bc")), bc == 0 ? 4096 : bc);
        return;
    }
    if (message) {
        const std::string code = w[1] == "code" ? w[2] : w[1];
        const uint64_t want = hex(str(r, "msg_code"));
        if (want >= 0x20 && want <= 0x27)
            EXPECT_EQ(code, std::string(want < 0x24 ? "Assert_INT" : "Deassert_INT") +
                                char('A' + (want & 3)));
        else
            EXPECT_EQ(hex(code), want);
        return;
    }
    if (type == "CfgRd0" || type == "CfgWr0") {
        EXPECT_EQ(bdf(w[2]), int64_t(hex(str(r, "dest_id"))));
        EXPECT_EQ(hex(after(w, "reg")), hex(str(r, "reg_offset")));
        return;
    }
    ASSERT_EQ(w[2][0], '@');
    EXPECT_EQ(hex(w[2].substr(1)), hex(str(r, "addr")));
}

void expect_host_req_fields(const std::string &label, const JsonPtr &r) {
    SCOPED_TRACE("label \"" + label + "\"");
    const std::vector<std::string> w = words(label);
    ASSERT_GE(w.size(), 3u);
    EXPECT_EQ(w[0], str(r, "op"));
    EXPECT_EQ(w[1], "#" + std::to_string(num(r, "id")));
    if (!str(r, "bdf").empty()) {
        EXPECT_EQ(bdf(w[2]), int64_t(hex(str(r, "bdf"))));
        EXPECT_EQ(hex(after(w, "reg")), hex(str(r, "reg_offset")));
    } else {
        ASSERT_EQ(w[2][0], '@');
        EXPECT_EQ(hex(w[2].substr(1)), hex(str(r, "addr")));
    }
    EXPECT_EQ(dws(w), num(r, "len_dw"));
    EXPECT_EQ(hex(after(w, "be")), hex(str(r, "first_be")));
}

void expect_host_rsp_fields(const std::string &label, const JsonPtr &r) {
    EXPECT_EQ(label, "rsp #" + std::to_string(num(r, "id")) + " " + str(r, "status") + " " +
                         std::to_string(num(r, "data_len")) + " B");
}

// Exactly one label change per record, in order, half a period after
// `time_key`, and nothing else: the port starts empty (the FST's initial
// value at time 0) and each label is held until the next, never cleared.
template <typename Check>
void expect_one_label_per_record(const std::vector<LabelChange> &port,
                                 const std::vector<JsonPtr> &records, const char *time_key,
                                 Check check) {
    ASSERT_FALSE(records.empty());
    ASSERT_FALSE(port.empty());
    EXPECT_EQ(port[0].time, 0u);
    EXPECT_EQ(port[0].text, "") << "the initial value";
    const std::vector<LabelChange> labels(port.begin() + 1, port.end());
    EXPECT_EQ(labels.size(), records.size());
    for (size_t i = 0; i < labels.size() && i < records.size(); ++i) {
        SCOPED_TRACE("record " + std::to_string(i));
        EXPECT_EQ(labels[i].time, uint64_t(num(records[i], time_key)) + kHalfPeriodPs);
        EXPECT_NE(labels[i].text, "") << "a clear";
        check(labels[i].text, records[i]);
    }
}

// ------------------------------------------------------------ the layouts

struct Layout {
    uint64_t timestart = 0, marker = 0;
    std::vector<std::string> signals;
};

Layout read_layout(const std::string &path) {
    Layout l;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("[timestart] ", 0) == 0)
            l.timestart = std::stoull(line.substr(12));
        else if (line.rfind("*", 0) == 0)
            l.marker = std::stoull(words(line).at(1));
        else if (line.rfind("top.", 0) == 0 || line.rfind("+{", 0) == 0)
            l.signals.push_back(words(line).back());
    }
    return l;
}

// ------------------------------------------------------------ the run

// dmacopy (server-models/README.md) with twin-socket DMA and MSI-X: CfgRd0
// and CfgWr0 of enumeration, MemWr32 down (registers), MemRd32 up (the
// descriptor and the source) with CplD down, MemWr32 up (the copy and the
// MSI-X message), Cpl/CplD up.
class TraceLabels : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_EQ(access(kFst2Vcd, X_OK), 0)
            << kFst2Vcd << " is missing (package gtkwave, a declared dependency: Makefile.ci)";
        const char *keep = std::getenv("RCSIM_TRACE_KEEP_DIR");
        const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        base_ = keep ? std::string(keep) + "/" + name
                     : "/tmp/rcsim-labels-" + std::to_string(getpid()) + "-" + name;
        keep_ = keep != nullptr;
        rcsim::HarnessConfig cfg;
        cfg.fst_path = base_ + ".fst";
        std::string err;
        ASSERT_EQ(rcsim::Harness::create(cfg, &h, &err), 0) << err;
        tw = rcsim::TraceWriter::open(base_ + ".jsonl", &err);
        ASSERT_TRUE(tw) << err;
        tw->attach(*h);
        ASSERT_EQ(h->start_server({RCSIM_SERVER_MODELS_DIR "/dmacopy"}, &err), 0)
            << err << h->failure_report();
        ASSERT_EQ(h->enumerate(&err), 0) << err << h->failure_report();
    }

    void TearDown() override {
        if (h)
            h->shutdown();
        if (tw) {
            std::string ignored;
            tw->close(&ignored);
        }
        h.reset();
        if (!keep_)
            for (const char *ext : {".jsonl", ".fst"})
                unlink((base_ + ext).c_str());
    }

    static std::vector<uint8_t> le32(uint32_t v) {
        return {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
    }

    // One 40-byte copy with an interrupt, then the files are closed and read.
    void copy_and_finish() {
        constexpr uint64_t kRing = 0x10000000, kSrc = 0x10100000, kDst = 0x10400000;
        std::vector<uint8_t> src(40, 0x5a);
        h->memory().write(kSrc, src.data(), src.size());
        std::vector<uint8_t> desc;
        for (uint32_t v : {uint32_t(kSrc), 0u, uint32_t(kDst), 0u, 40u, 1u, 0u, 0u})
            for (uint8_t b : le32(v))
                desc.push_back(b);
        h->memory().write(kRing, desc.data(), desc.size());
        ASSERT_EQ(h->mmio_write(0, 0x00, 4, uint32_t(kRing)), HostStatus::SC); // RING_LO
        ASSERT_EQ(h->mmio_write(0, 0x04, 4, 0), HostStatus::SC);               // RING_HI
        ASSERT_EQ(h->mmio_write(0, 0x08, 4, 16), HostStatus::SC);              // RING_SIZE
        ASSERT_EQ(h->mmio_write(0, 0x1c, 4, 3), HostStatus::SC);               // INT_CTRL MSI-X
        ASSERT_EQ(h->mmio_write(0, 0x10, 4, 1), HostStatus::SC);               // HEAD
        ASSERT_TRUE(h->wait_irq(0, 500000)) << h->failure_report();
        ASSERT_TRUE(h->drain());
        ASSERT_FALSE(h->has_failures()) << h->failure_report();
        h->shutdown();
        std::string err;
        ASSERT_EQ(tw->close(&err), 0) << err;
        h.reset(); // closes the FST
        recs = read_jsonl(base_ + ".jsonl");
        labels = fst_labels(base_ + ".fst");
        for (const char *port : {"ann_tx_tlp", "ann_rx_tlp", "ann_host_req", "ann_host_rsp"})
            ASSERT_TRUE(labels.count(port)) << port << " not in the FST";
    }

    std::unique_ptr<rcsim::Harness> h;
    std::unique_ptr<rcsim::TraceWriter> tw;
    std::vector<JsonPtr> recs;
    std::map<std::string, std::vector<LabelChange>> labels;
    std::string base_;
    bool keep_ = false;
};

TEST_F(TraceLabels, EveryTlpAndHostTransferHasItsLabelAtItsStart) {
    ASSERT_NO_FATAL_FAILURE(copy_and_finish());
    const auto down = where(recs, {{"kind", "tlp"}, {"dir", "down"}});
    const auto up = where(recs, {{"kind", "tlp"}, {"dir", "up"}});
    for (const JsonPtr &r : where(recs, {{"kind", "tlp"}})) {
        ASSERT_EQ(str(r, "error"), "") << "an undecodable TLP in this run";
    }
    expect_one_label_per_record(labels["ann_tx_tlp"], down, "start_ps", expect_tlp_fields);
    expect_one_label_per_record(labels["ann_rx_tlp"], up, "start_ps", expect_tlp_fields);
    expect_one_label_per_record(labels["ann_host_req"], where(recs, {{"kind", "host_req"}}), "t_ps",
                                expect_host_req_fields);
    expect_one_label_per_record(labels["ann_host_rsp"], where(recs, {{"kind", "host_rsp"}}), "t_ps",
                                expect_host_rsp_fields);
    // One device: no fabric, no hop record, the fabric label port never set.
    ASSERT_TRUE(labels.count("ann_fabric_tlp")) << "ann_fabric_tlp not in the FST";
    EXPECT_TRUE(shown(labels["ann_fabric_tlp"]).empty());
    EXPECT_TRUE(where(recs, {{"kind", "hop"}}).empty());

    // The run has every kind the issue names but IO and Msg (dmacopy has no
    // IO BAR and uses MSI-X here; the formatter test covers those).
    std::set<std::string> types;
    for (const JsonPtr &r : where(recs, {{"kind", "tlp"}}))
        types.insert(str(r, "type"));
    for (const char *t : {"CfgRd0", "CfgWr0", "MemWr32", "MemRd32", "CplD", "Cpl"})
        EXPECT_TRUE(types.count(t)) << t;
}

// Labels written from the PCIe field definitions: enumeration's first read
// is a CfgRd0 of 01:00.0's vendor/device ID (register 0, one DW, all four
// bytes, last BE 0 for a one-DW request) from the root port 00:00.0, tag 0;
// its completion carries 4 bytes from 01:00.0, lower address 0; the MSI-X
// message is a one-DW MemWr32 to 0xfee00000 from the device.
TEST_F(TraceLabels, KnownTlpsReadAsWrittenByHand) {
    ASSERT_NO_FATAL_FAILURE(copy_and_finish());
    const auto tx = shown(labels["ann_tx_tlp"]), rx = shown(labels["ann_rx_tlp"]);
    const auto hreq = shown(labels["ann_host_req"]), hrsp = shown(labels["ann_host_rsp"]);
    ASSERT_FALSE(tx.empty() || rx.empty() || hreq.empty() || hrsp.empty());
    EXPECT_EQ(hreq[0].text, "CFG_RD #0 01:00.0 reg 0x000 1DW be f");
    EXPECT_EQ(tx[0].text, "CfgRd0 t00 01:00.0 reg 0x000 1DW 00:00.0");
    EXPECT_EQ(rx[0].text, "CplD SC t00 lo 0x00 bc 4 1DW 01:00.0");
    EXPECT_EQ(hrsp[0].text, "rsp #0 SC 4 B");
    int msix = 0, src_read = 0;
    for (const LabelChange &c : rx) {
        const std::vector<std::string> w = words(c.text);
        const std::string rest = c.text.substr(c.text.find(' ', 8)); // after the tag
        msix += w[0] == "MemWr32" && rest == " @fee00000 1DW 01:00.0";
        // The 40-byte source: 10 DWs.
        src_read += w[0] == "MemRd32" && rest == " @10100000 10DW 01:00.0";
    }
    EXPECT_EQ(msix, 1);
    EXPECT_EQ(src_read, 1);
}

// The layouts open with the marker on the first TX label (enumeration
// starts the same way every run: fixed reset, first request at once), and
// every signal they name is in the FST.
TEST_F(TraceLabels, LayoutsOpenWithTheMarkerOnTheFirstTxLabel) {
    ASSERT_NO_FATAL_FAILURE(copy_and_finish());
    const auto tx = shown(labels["ann_tx_tlp"]);
    const auto down = where(recs, {{"kind", "tlp"}, {"dir", "down"}});
    ASSERT_FALSE(tx.empty() || down.empty());
    EXPECT_EQ(tx[0].time, uint64_t(num(down[0], "start_ps")) + kHalfPeriodPs);
    FILE *p = popen((std::string(kFst2Vcd) + " -f " + base_ + ".fst 2>/dev/null").c_str(), "r");
    ASSERT_TRUE(p);
    std::string vars;
    char buf[8192];
    while (fgets(buf, sizeof buf, p))
        if (strncmp(buf, "$var", 4) == 0)
            vars += buf;
        else if (strncmp(buf, "$enddefinitions", 15) == 0)
            break;
    pclose(p);
    for (const char *file : {"rcsim.gtkw", "rcsim-overview.gtkw"}) {
        SCOPED_TRACE(file);
        const Layout l = read_layout(std::string(RCSIM_SOURCE_DIR "/waveforms/") + file);
        EXPECT_EQ(l.marker, tx[0].time);
        EXPECT_LT(l.timestart, l.marker);
        const std::string label_range = "[" + std::to_string(8 * rcsim::kLabelChars - 1) + ":0]";
        int label_rows = 0;
        for (const std::string &s : l.signals) {
            const std::string leaf = s.substr(s.rfind('.') + 1);
            const std::string name = leaf.substr(0, leaf.find('['));
            EXPECT_NE(vars.find(" " + name + " "), std::string::npos) << s;
            label_rows += name.rfind("ann_", 0) == 0 && leaf.find(label_range) != std::string::npos;
        }
        EXPECT_EQ(label_rows, 5); // TX, RX, host request, host response, fabric hop
    }
}

// The formatter on TLPs the run above does not have, fields from the
// spec's header layouts.
TEST(TlpLabels, EveryTypeOfTheGrammar) {
    using namespace rcsim::tlp;
    auto text = [](const Tlp &t) { return rcsim::label_text(rcsim::tlp_label(t)); };
    EXPECT_EQ(text(Tlp::mem_read(0x1000000000ull, 32, 0x0000, 0x03)),
              "MemRd64 t03 @1000000000 8DW 00:00.0");
    EXPECT_EQ(text(Tlp::io_write(0x1004, 0x3, 0x1234, 0x0000, 0x05)), "IoWr t05 @1004 1DW 00:00.0");
    EXPECT_EQ(text(Tlp::io_read(0x1000, 0xf, 0x0000, 0x06)), "IoRd t06 @1000 1DW 00:00.0");
    // A failed MemRd's completion keeps the request's address bits 6:0.
    const Tlp rd = Tlp::mem_read(0xe0000018, 4, 0x0000, 0x1f);
    EXPECT_EQ(text(Tlp::completion(rd, 0x0100, CplStatus::UR)), "Cpl UR t1f lo 0x18 bc 4 01:00.0");
    EXPECT_EQ(
        text(Tlp::completion_data(0x0000, 0x07, 0x0108, 4096, 0x40, std::vector<uint8_t>(128, 0))),
        "CplD SC t07 lo 0x40 bc 4096 32DW 01:01.0");
    EXPECT_EQ(text(Tlp::intx(MsgCode::AssertIntA, 0x0100)), "Msg Assert_INTA t00 01:00.0");
    Tlp vendor = Tlp::intx(MsgCode::DeassertIntD, 0x0100);
    vendor.msg_code = 0x7e;
    EXPECT_EQ(text(vendor), "Msg code 0x7e t00 01:00.0");
    Tlp poisoned = Tlp::mem_write(0x2000, std::vector<uint8_t>(8, 1), 0x0100, 0x00);
    poisoned.ep = true;
    EXPECT_EQ(text(poisoned), "MemWr32 t00 @2000 2DW 01:00.0 EP");
    EXPECT_EQ(rcsim::label_text(rcsim::undecodable_tlp_label(0x9f000001)), "?? dw0 0x9f000001");

    rcsim::RtlIn in;
    in.hreq_op = rcsim::HostOp::MemRd;
    in.hreq_id = 5;
    in.hreq_addr = 0xe0000018;
    in.hreq_len_dw = 1;
    in.hreq_first_be = 0xf;
    EXPECT_EQ(rcsim::label_text(rcsim::host_request_label(in)), "MEM_RD #5 @e0000018 1DW be f");
    EXPECT_EQ(rcsim::label_text(rcsim::host_response_label(5, HostStatus::Timeout, 0)),
              "rsp #5 TIMEOUT 0 B");
}

// Two equal labels in a row still make a value change (the last byte,
// invisible), and the longest label fits with that byte to spare.
TEST(TlpLabels, EqualLabelsInARowDiffer) {
    const rcsim::Label a = rcsim::host_response_label(1, HostStatus::SC, 4);
    rcsim::Label b = a;
    rcsim::flip_last_if_same(a, b);
    EXPECT_NE(a, b);
    EXPECT_EQ(rcsim::label_text(a), rcsim::label_text(b));
    rcsim::Label c = b;
    rcsim::flip_last_if_same(b, c);
    EXPECT_NE(b, c);
    rcsim::Label empty{}, also_empty{};
    rcsim::flip_last_if_same(empty, also_empty);
    EXPECT_EQ(empty, also_empty) << "nothing shown stays all NUL";
    rcsim::tlp::Tlp longest = rcsim::tlp::Tlp::mem_read(0xfffffffffffffffcull, 4096, 0xffff, 0xff);
    longest.ep = true;
    const std::string t = rcsim::label_text(rcsim::tlp_label(longest));
    EXPECT_EQ(t, "MemRd64 tff @fffffffffffffffc 1024DW ff:1f.7 EP");
    EXPECT_LT(t.size(), rcsim::kLabelChars);
}

} // namespace
