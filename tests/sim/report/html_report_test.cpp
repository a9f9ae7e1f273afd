// rcsim report's page from hand-written traces: the model (pairing,
// folding, the #279 crossing and misread), the page (counts of arrows and
// marks, findings, the CSP, nothing fetched), escaping of everything that
// came from a server or a log, and bad input (cut short, foreign, huge).
#include "decision_log.hpp"
#include "html_escape.hpp"
#include "html_report.hpp"
#include "report_model.hpp"
#include "trace_reader.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace {

using namespace rcsim;

const char kHeader[] =
    R"({"kind":"header","format":1,"rcsim_version":"test","period_ps":4000,"data_w":128})";

// The #279 story in miniature, one line per record (line numbers in the
// comments are the file's). Expected, counted by hand: 6 messages (lines
// 7, 8, 13, 15, 16, 17), 2 decisions (4, 10), 1 deviation (line 10 chose its
// second option), the REGION_READ #73 of line 13 crossing the DMA_READ #1 of
// line 8 (unanswered until line 15), one misread (line 17 answers no
// command), #73 never answered, DMA_READ #1 nested inside REGION_WRITE #72.
const std::vector<std::string> kRace = {
    kHeader, // 1
    R"({"kind":"bar","t_ps":0,"cycle":0,"bar":"bar0","type":"mem32","base":"0xe0000000","size":"0x1000"})",
    R"({"kind":"host_req","t_ps":500000,"cycle":125,"op":"MEM_WR","id":1,"addr":"0xe0000010","len_dw":1,"first_be":"0xf"})",
    R"({"kind":"decision","t_ps":600000,"cycle":150,"index":0,"decision":"admit","chosen":"a","options":["a"]})",
    R"({"kind":"tlp","t_ps":700000,"cycle":175,"dir":"down","type":"MemWr32","addr":"0xe0000010","tag":0})",
    R"({"kind":"irq","t_ps":710000,"cycle":177,"type":"msi","addr":"0xfee00000","data":"0x21"})",
    R"({"kind":"msg","t_ps":800000,"cycle":200,"sock":"main","dir":"c2s","cmd":"REGION_WRITE","msg_id":72,"type":"command","flags":"0x0","region":0,"offset":"0x10","count":4})",
    R"({"kind":"msg","t_ps":900000,"cycle":225,"sock":"main","dir":"s2c","cmd":"DMA_READ","msg_id":1,"type":"command","flags":"0x0","addr":"0x10000000","count":8})",
    R"({"kind":"tlp","t_ps":1000000,"cycle":250,"dir":"up","type":"MemRd64","addr":"0x10000000","tag":5})",
    R"({"kind":"decision","t_ps":2000000,"cycle":500,"index":1,"decision":"mmio","chosen":"send now","options":["hold","send now"]})",
    R"({"kind":"host_req","t_ps":2010000,"cycle":502,"op":"MEM_RD","id":2,"addr":"0xe0000018","len_dw":1,"first_be":"0xf"})",
    R"({"kind":"tlp","t_ps":2050000,"cycle":512,"dir":"down","type":"MemRd32","addr":"0xe0000018","tag":1})",
    R"({"kind":"msg","t_ps":2092000,"cycle":523,"sock":"main","dir":"c2s","cmd":"REGION_READ","msg_id":73,"type":"command","flags":"0x0","region":0,"offset":"0x18","count":4})",
    R"({"kind":"tlp","t_ps":2100000,"cycle":525,"dir":"down","type":"CplD","tag":5})",
    R"({"kind":"msg","t_ps":2200000,"cycle":550,"sock":"main","dir":"c2s","cmd":"DMA_READ","msg_id":1,"type":"reply","flags":"0x1"})",
    R"({"kind":"msg","t_ps":2300000,"cycle":575,"sock":"main","dir":"s2c","cmd":"REGION_WRITE","msg_id":72,"type":"reply","flags":"0x1"})",
    R"({"kind":"msg","t_ps":2400000,"cycle":600,"sock":"main","dir":"s2c","cmd":"0","msg_id":9,"type":"reply","flags":"0x3","error_no":22})",
};

class HtmlReport : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = "/tmp/rcsim-html-" + std::to_string(getpid());
        mkdir(dir_.c_str(), 0700);
    }
    void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
    std::string write(const std::string &name, const std::vector<std::string> &lines,
                      bool last_newline = true) {
        const std::string p = dir_ + "/" + name;
        std::ofstream o(p);
        for (size_t i = 0; i < lines.size(); ++i)
            o << lines[i] << (i + 1 < lines.size() || last_newline ? "\n" : "");
        return p;
    }
    // Writes the page of `trace`; returns its text ("" on failure, error set).
    std::string page(const std::string &trace, const std::string &log = "",
                     HtmlReportResult *res = nullptr, size_t max = 20000) {
        HtmlReportOptions o;
        o.trace = trace;
        o.decisions = log;
        o.out = dir_ + "/out.html";
        o.max_records = max;
        HtmlReportResult r;
        error_.clear();
        rc_ = write_html_report(o, res ? res : &r, &error_);
        std::ifstream in(o.out);
        std::stringstream ss;
        ss << in.rdbuf();
        return rc_ == 0 ? ss.str() : "";
    }
    // The whole-run chart, and the close-up above it.
    static std::string chart(const std::string &html) {
        const size_t at = html.find("<svg id=\"chart\"");
        return at == std::string::npos ? "" : html.substr(at);
    }
    static std::string closeup(const std::string &html) {
        const size_t at = html.find("<svg id=\"closeup\""), end = html.find("<svg id=\"chart\"");
        return at == std::string::npos || end < at ? "" : html.substr(at, end - at);
    }
    static size_t count(const std::string &s, const std::string &what) {
        size_t n = 0;
        for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1))
            ++n;
        return n;
    }
    std::string dir_, error_;
    int rc_ = 0;
};

TEST_F(HtmlReport, ModelPairsFoldsAndFindsTheCrossingAndTheMisread) {
    TraceRecords tr;
    std::string err;
    ASSERT_EQ(read_trace_records(write("race.jsonl", kRace), 20000, &tr, &err), 0) << err;
    ASSERT_EQ(tr.records.size(), 16u);
    const ReportModel m = build_report_model(tr.records);
    EXPECT_EQ(m.messages, 6u);
    EXPECT_EQ(m.decisions, 2u);
    EXPECT_EQ(m.deviations, 1u);
    EXPECT_EQ(m.interrupts, 1u);
    EXPECT_EQ(m.crossings, 1u);
    EXPECT_EQ(m.nested, 1u);
    EXPECT_EQ(m.misreads, 1u);
    EXPECT_EQ(m.unanswered, 1u);
    // Rows: decision 0, irq, #72, DMA_READ #1, decision 1, #73, 3 replies.
    ASSERT_EQ(m.rows.size(), 9u);
    const ReportRow &write72 = m.rows[2], &dma1 = m.rows[3], &read73 = m.rows[5];
    EXPECT_EQ(write72.kind, RowKind::Message);
    EXPECT_EQ(write72.folded, (std::vector<size_t>{1, 3})); // host write, MemWr32 (lines 3, 5)
    EXPECT_EQ(dma1.folded, (std::vector<size_t>{7, 12}));   // MemRd64 up, its CplD (lines 9, 14)
    EXPECT_EQ(read73.folded, (std::vector<size_t>{9, 10})); // host read, MemRd32 (lines 11, 12)
    EXPECT_TRUE(read73.crossing);
    EXPECT_EQ(read73.crossed_row, 3);
    EXPECT_FALSE(dma1.crossing); // nested in #72, served by the client
    EXPECT_EQ(dma1.crossed_row, 2);
    EXPECT_EQ(dma1.partner, 6);
    EXPECT_EQ(write72.partner, 7);
    EXPECT_TRUE(m.rows[8].misread);
    EXPECT_TRUE(m.rows[4].deviation);
    ASSERT_EQ(m.findings.size(), 3u);
    EXPECT_EQ(m.findings[0], "REGION_READ #73 (client) crossed DMA_READ #1 on the main socket at "
                             "t=2.092000 us, after decision 1 (mmio, a deviation from fifo)");
    EXPECT_EQ(m.findings[1], "misread: 1 reply nobody asked for, the first from the server at "
                             "t=2.400000 us (0 #9)");
    EXPECT_EQ(m.findings[2], "1 command(s) never answered in the trace");
    EXPECT_EQ(m.findings.size(), 3u);
    EXPECT_EQ(m.remarks, std::vector<std::string>{
                             "1 server command(s) sent inside an unanswered client command on the "
                             "same socket (the client serves them: not a fault in itself)"});
}

// Several devices (issue 20): two devices' commands with the same socket
// and id pair with their own device's replies (no misread, nothing left
// unanswered), a fabric hop folds under the latest row, and the page names
// the device and the hop's port.
TEST_F(HtmlReport, SeveralDevicesPairPerDeviceAndHopsFold) {
    const std::vector<std::string> lines = {
        kHeader,
        R"({"kind":"msg","t_ps":4000,"cycle":1,"dev":"copier","sock":"main","dir":"s2c","cmd":"DMA_WRITE","msg_id":2,"type":"command","flags":"0x0","addr":"0xe0100100","count":256})",
        R"({"kind":"hop","t_ps":8000,"cycle":2,"port":"rp2","type":"MemWr32","len_dw":64,"addr":"0xe0100100","requester_id":"0x100","tag":0})",
        R"({"kind":"msg","t_ps":12000,"cycle":3,"dev":"target","sock":"main","dir":"c2s","cmd":"REGION_WRITE","msg_id":2,"type":"command","flags":"0x0","region":0,"offset":"0x100","count":256})",
        R"({"kind":"msg","t_ps":16000,"cycle":4,"dev":"target","sock":"main","dir":"s2c","cmd":"REGION_WRITE","msg_id":2,"type":"reply","flags":"0x1"})",
        R"({"kind":"msg","t_ps":20000,"cycle":5,"dev":"copier","sock":"main","dir":"c2s","cmd":"DMA_WRITE","msg_id":2,"type":"reply","flags":"0x1"})",
    };
    const std::string trace = write("p2p.jsonl", lines);
    TraceRecords tr;
    std::string err;
    ASSERT_EQ(read_trace_records(trace, 20000, &tr, &err), 0) << err;
    ASSERT_EQ(tr.records.size(), 5u);
    EXPECT_EQ(tr.records[1].kind, "hop");
    EXPECT_EQ(tr.records[1].get("port"), "rp2");
    EXPECT_EQ(tr.records[1].number("addr"), 0xe0100100u);
    const ReportModel m = build_report_model(tr.records);
    EXPECT_EQ(m.messages, 4u);
    EXPECT_EQ(m.misreads, 0u);
    EXPECT_EQ(m.unanswered, 0u);
    EXPECT_EQ(m.nested, 0u) << "the target's command is not inside the copier's";
    ASSERT_EQ(m.rows.size(), 4u);
    EXPECT_EQ(m.rows[0].dev, "copier");
    EXPECT_EQ(m.rows[0].partner, 3);
    EXPECT_EQ(m.rows[1].partner, 2);
    EXPECT_EQ(m.rows[0].folded, (std::vector<size_t>{1})) << "the hop under the DMA_WRITE";
    const std::string html = page(trace);
    ASSERT_EQ(rc_, 0) << error_;
    EXPECT_NE(html.find("copier: DMA_WRITE"), std::string::npos);
    EXPECT_NE(html.find("target: REGION_WRITE"), std::string::npos);
    EXPECT_NE(html.find("fabric rp2 MemWr32 0xe0100100"), std::string::npos);
}

TEST_F(HtmlReport, PageHoldsOneArrowPerMessageAndOneMarkPerDecision) {
    const std::string html = page(write("race.jsonl", kRace));
    ASSERT_EQ(rc_, 0) << error_;
    const std::string all = chart(html), close = closeup(html);
    EXPECT_EQ(count(all, "class=\"msg-arrow"), 6u);
    EXPECT_EQ(count(all, "class=\"decision-mark"), 2u);
    EXPECT_EQ(count(all, "class=\"decision-mark deviation\""), 1u);
    EXPECT_EQ(count(all, "class=\"cross-band\""), 1u);
    EXPECT_EQ(count(all, "class=\"irq-arrow\""), 1u);
    EXPECT_EQ(count(all, "class=\"fold\""), 6u); // 2 + 2 + 2 folded records, closed
    EXPECT_EQ(count(all, "style=\"display:none\""), 6u);
    // The close-up: rows 1 (the interrupt, two before DMA_READ #1) to 8 (the
    // last row): every message, decision 1 only, the folds open.
    EXPECT_EQ(count(close, "class=\"msg-arrow"), 6u);
    EXPECT_EQ(count(close, "class=\"decision-mark deviation\""), 1u);
    EXPECT_EQ(count(close, "class=\"decision-mark"), 1u);
    EXPECT_EQ(count(close, "class=\"cross-band\""), 1u);
    EXPECT_EQ(count(close, "class=\"fold\""), 6u);
    EXPECT_EQ(count(close, "display:none"), 0u);
    EXPECT_NE(html.find("Close-up: the crossing (rows 1 to 8 of"), std::string::npos);
    EXPECT_NE(html.find("REGION_READ #73 (client) crossed DMA_READ #1 on the main socket"),
              std::string::npos);
    EXPECT_NE(html.find("misread: 1 reply nobody asked for"), std::string::npos);
    EXPECT_NE(html.find("DEVIATION from fifo: decision 1 mmio: send now  (fifo: hold)"),
              std::string::npos);
    EXPECT_NE(html.find(">bar0</td><td>mem32 at 0xe0000000, size 0x1000<"), std::string::npos);
}

TEST_F(HtmlReport, PageFetchesNothing) {
    const std::string html = page(write("race.jsonl", kRace));
    ASSERT_EQ(rc_, 0) << error_;
    EXPECT_NE(html.find("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
                        "'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"),
              std::string::npos);
    for (const char *bad : {"http:", "https:", "://", "src=", "href=", "@import", "url(", "<link",
                            "<img", "<iframe", "<object", "<embed", "fetch(", "XMLHttpRequest"})
        EXPECT_EQ(html.find(bad), std::string::npos) << bad;
    EXPECT_EQ(count(html, "<script"), 1u); // the page's own, inline
}

TEST_F(HtmlReport, EscapesEverythingFromTheServerAndTheLog) {
    std::vector<std::string> t = {
        R"({"kind":"header","format":1,"rcsim_version":"<script>alert(4)</script>","period_ps":4000,"data_w":128})",
        R"({"kind":"msg","t_ps":1,"cycle":0,"sock":"main","dir":"s2c","cmd":"<script>alert(1)</script>","msg_id":1,"type":"command","flags":"0x0","addr":"\"><img src=x onerror=alert(2)>","count":4})",
        R"({"kind":"decision","t_ps":2,"cycle":0,"index":0,"decision":"<b>x</b>","chosen":"</svg><script>alert(5)</script>","options":["'a'","</svg><script>alert(5)</script>"]})",
    };
    const std::string trace = write("evil.jsonl", t);
    LogHeader h;
    h.rcsim_version = "test";
    h.policy = "fifo";
    h.scenario_path = "/tmp/<script>alert(6)</script>.rcs";
    h.scenario_sha256 = std::string(64, 'a');
    h.server_argv = {"/tmp/<script>alert(3)</script>", "--socket", "{socket}"};
    h.server_sha256 = std::string(64, 'b');
    std::unique_ptr<DecisionLogWriter> w;
    std::string err;
    const std::string log = dir_ + "/evil.log.jsonl";
    ASSERT_EQ(DecisionLogWriter::open(log, h, &w, &err), 0) << err;
    w.reset();
    const std::string html = page(trace, log);
    ASSERT_EQ(rc_, 0) << error_;
    EXPECT_EQ(html.find("<script>alert"), std::string::npos);
    EXPECT_EQ(html.find("<img"), std::string::npos);
    EXPECT_EQ(html.find("<b>x"), std::string::npos);
    EXPECT_EQ(html.find("</svg><script"), std::string::npos);
    EXPECT_EQ(count(html, "<script"), 1u);
    EXPECT_EQ(count(html, "</svg>"), 1u);
    for (const char *text :
         {"&lt;script&gt;alert(1)&lt;/script&gt;", "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;",
          "/tmp/&lt;script&gt;alert(3)&lt;/script&gt; --socket {socket}",
          "&lt;script&gt;alert(4)&lt;/script&gt;", "&lt;/svg&gt;&lt;script&gt;alert(5)",
          "(fifo: &#39;a&#39;)", "/tmp/&lt;script&gt;alert(6)&lt;/script&gt;.rcs"})
        EXPECT_NE(html.find(text), std::string::npos) << text;
}

TEST_F(HtmlReport, EscapeFunction) {
    EXPECT_EQ(html_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
    EXPECT_EQ(html_escape(std::string("x\x01y\x7f", 4)), "x\xef\xbf\xbdy\xef\xbf\xbd");
    EXPECT_EQ(html_escape("\xc3\xa9"), "\xc3\xa9");      // é stays
    EXPECT_EQ(html_escape("\xff<"), "\xef\xbf\xbd&lt;"); // not UTF-8: U+FFFD
    // 0xf8 is no lead byte, even before continuation bytes (RFC 3629: F5..FF never appear).
    EXPECT_EQ(html_escape("\xf8\x80\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    EXPECT_EQ(html_escape("\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd"); // cut sequence
}

TEST_F(HtmlReport, TraceCutShortGivesAPageSayingSo) {
    std::vector<std::string> t(kRace.begin(), kRace.end());
    t.back() = t.back().substr(0, 40); // a run killed mid-write
    HtmlReportResult r;
    const std::string html = page(write("cut.jsonl", t, false), "", &r);
    ASSERT_EQ(rc_, 0) << error_;
    ASSERT_EQ(r.notes.size(), 1u);
    EXPECT_EQ(r.notes[0], dir_ + "/cut.jsonl:17: the trace ends inside a record; showing the 15 "
                                 "records before it");
    EXPECT_NE(html.find("Not the whole trace"), std::string::npos);
    EXPECT_EQ(count(chart(html), "class=\"msg-arrow"), 5u); // the cut reply is not drawn
}

TEST_F(HtmlReport, BadLineInTheMiddleStopsWithWhatCameBefore) {
    std::vector<std::string> t(kRace.begin(), kRace.end());
    t[6] = "{\"kind\":\"msg\"}"; // line 7: no t_ps
    HtmlReportResult r;
    page(write("bad.jsonl", t), "", &r);
    ASSERT_EQ(rc_, 0) << error_;
    ASSERT_EQ(r.notes.size(), 1u);
    EXPECT_EQ(r.notes[0], dir_ + "/bad.jsonl:7: msg record without an integer \"t_ps\"; showing "
                                 "the 5 records before it");
}

TEST_F(HtmlReport, LineLongerThanAnyRecordStopsTheReading) {
    std::vector<std::string> t(kRace.begin(), kRace.begin() + 4);
    t.push_back(R"({"kind":"msg","t_ps":1,"cycle":0,"pad":")" + std::string(2 << 20, 'x') + "\"}");
    t.push_back(kRace[4]);
    HtmlReportResult r;
    page(write("long.jsonl", t), "", &r);
    ASSERT_EQ(rc_, 0) << error_;
    ASSERT_EQ(r.notes.size(), 1u);
    EXPECT_EQ(r.notes[0], dir_ + "/long.jsonl:5: longer than 1048576 bytes: not a trace record; "
                                 "showing the 3 records before it");
}

TEST_F(HtmlReport, ForeignFilesAreRefused) {
    const std::string log_line =
        R"({"record":"header","format":1,"rcsim_version":"x","policy":"fifo"})";
    page(write("log.jsonl", {log_line}));
    EXPECT_EQ(rc_, -EINVAL);
    EXPECT_EQ(error_, dir_ + "/log.jsonl: not an rcsim trace: line 1 is not a trace header "
                             "({\"kind\":\"header\",\"format\":1,...}; a decision log goes with "
                             "--decisions)");
    page(write("perfetto.json", {R"({"traceEvents":[]})"}));
    EXPECT_EQ(rc_, -EINVAL);
    page(write("text.txt", {"hello"}));
    EXPECT_EQ(rc_, -EINVAL);
    EXPECT_EQ(error_, dir_ + "/text.txt: not an rcsim trace: line 1 is not a JSON object");
    page(write("empty.jsonl", {}));
    EXPECT_EQ(rc_, -EINVAL);
    EXPECT_EQ(error_, dir_ + "/empty.jsonl: not an rcsim trace: the file is empty");
    page("/dev/zero");
    EXPECT_EQ(rc_, -EIO);
    EXPECT_NE(error_.find("not a regular file"), std::string::npos) << error_;
}

TEST_F(HtmlReport, HugeTraceIsCappedAndSaysSo) {
    const std::string p = dir_ + "/huge.jsonl";
    {
        std::ofstream o(p);
        o << kHeader << "\n";
        for (int i = 0; i < 200000; ++i)
            o << R"({"kind":"msg","t_ps":)" << i
              << R"(,"cycle":0,"sock":"main","dir":"c2s","cmd":"REGION_READ","msg_id":)" << i
              << R"(,"type":"command","flags":"0x10"})"
              << "\n";
    }
    HtmlReportResult r;
    const std::string html = page(p, "", &r, 1000);
    ASSERT_EQ(rc_, 0) << error_;
    ASSERT_EQ(r.notes.size(), 1u);
    EXPECT_EQ(r.notes[0],
              "showing the first 1000 of 200000 records (the report draws at most 1000)");
    EXPECT_EQ(count(chart(html), "class=\"msg-arrow"), 1000u);
    EXPECT_LT(html.size(), size_t(2) << 20);
    page(p, "", &r); // the default cap: 20000 drawn
    EXPECT_EQ(r.messages, 20000u);
}

} // namespace
