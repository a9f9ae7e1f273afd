// The scenario parser on its own: every statement's fields, every error with
// its line and column, includes from an in-memory file table. Expected
// values are written by hand from sim/scenario/SCENARIOS.md.
#include "scenario_parser.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <map>

namespace {

using rcsim::Op;
using rcsim::ParseError;
using rcsim::PatternKind;
using rcsim::Program;
using rcsim::Space;
using rcsim::Statement;

struct Files {
    std::map<std::string, std::string> files;
    std::vector<std::string> asked;
    rcsim::IncludeReader reader() {
        return [this](const std::string &path, std::string *text, std::string *error) {
            asked.push_back(path);
            auto it = files.find(path);
            if (it == files.end()) {
                *error = "No such file or directory";
                return -ENOENT;
            }
            *text = it->second;
            return 0;
        };
    }
};

Program parse_ok(const std::string &text) {
    Program p;
    ParseError e;
    EXPECT_EQ(rcsim::parse_scenario(text, "t.rcs", nullptr, &p, &e), 0) << e.to_string();
    return p;
}

Statement one(const std::string &text) {
    const Program p = parse_ok(text);
    EXPECT_EQ(p.statements.size(), 1u) << text;
    return p.statements.empty() ? Statement{} : p.statements[0];
}

ParseError parse_err(const std::string &text) {
    Program p;
    ParseError e;
    EXPECT_EQ(rcsim::parse_scenario(text, "t.rcs", nullptr, &p, &e), -EINVAL) << text;
    return e;
}

#define EXPECT_ERROR_AT(text, line_, col_, fragment)                                               \
    do {                                                                                           \
        const ParseError e_ = parse_err(text);                                                     \
        EXPECT_EQ(e_.loc.file, "t.rcs");                                                           \
        EXPECT_EQ(e_.loc.line, unsigned(line_)) << e_.to_string();                                 \
        EXPECT_EQ(e_.loc.col, unsigned(col_)) << e_.to_string();                                   \
        EXPECT_NE(e_.message.find(fragment), std::string::npos) << e_.to_string();                 \
    } while (0)

// ---- statements

TEST(CliParser, WriteToEachTarget) {
    Statement s = one("write bar0 0x10 4 0xdeadbeef");
    EXPECT_EQ(s.op, Op::Write);
    EXPECT_EQ(s.target.space, Space::Bar);
    EXPECT_EQ(s.target.bar, 0u);
    EXPECT_EQ(s.offset, 0x10u);
    EXPECT_EQ(s.size, 4u);
    EXPECT_EQ(s.value, 0xdeadbeefu);
    EXPECT_EQ(s.loc.line, 1u);
    EXPECT_EQ(s.loc.col, 1u);
    EXPECT_EQ(s.source, "write bar0 0x10 4 0xdeadbeef");

    s = one("  write bar5 16 8 0xffffffffffffffff   # all ones");
    EXPECT_EQ(s.target.bar, 5u);
    EXPECT_EQ(s.offset, 16u);
    EXPECT_EQ(s.size, 8u);
    EXPECT_EQ(s.value, ~0ull);
    EXPECT_EQ(s.loc.col, 3u);
    EXPECT_EQ(s.source, "write bar5 16 8 0xffffffffffffffff");

    s = one("write cfg 0x3c 1 0x0b");
    EXPECT_EQ(s.target.space, Space::Cfg);
    EXPECT_EQ(s.offset, 0x3cu);
    EXPECT_EQ(s.value, 0x0bu);

    s = one("write mem 0x1000_0000 2 0b1010");
    EXPECT_EQ(s.target.space, Space::Mem);
    EXPECT_EQ(s.offset, 0x10000000u);
    EXPECT_EQ(s.size, 2u);
    EXPECT_EQ(s.value, 10u);
}

TEST(CliParser, ReadWithAndWithoutExpectation) {
    Statement s = one("read bar2 0x8 2");
    EXPECT_EQ(s.op, Op::Read);
    EXPECT_EQ(s.target.bar, 2u);
    EXPECT_FALSE(s.expect);

    s = one("read bar0 0x10 4 -> expect 0xdeadbeef");
    EXPECT_TRUE(s.expect);
    EXPECT_EQ(s.value, 0xdeadbeefu);
    EXPECT_EQ(s.mask, 0xffffffffu); // the access size's bits

    s = one("read bar0 0x10 4 -> expect 0xbeef mask 0xffff");
    EXPECT_EQ(s.value, 0xbeefu);
    EXPECT_EQ(s.mask, 0xffffu);

    s = one("read bar0 0 1 -> expect 0x47");
    EXPECT_EQ(s.mask, 0xffu);
    s = one("read mem 0x10 8 -> expect 1");
    EXPECT_EQ(s.mask, ~0ull);
}

// Expected outcomes (SCENARIOS.md, "Expected outcomes"): a completion
// status after `-> status`, a refusal of a posted write after `-> refused`.
TEST(CliParser, ExpectedCompletionStatusAndRefusal) {
    Statement s = one("write bar0 0 4 1");
    EXPECT_FALSE(s.status_given);
    EXPECT_FALSE(s.refused);
    EXPECT_EQ(s.status, rcsim::ExpectedStatus::SC);

    s = one("read bar0 0x2000 4 -> status UR");
    EXPECT_EQ(s.op, Op::Read);
    EXPECT_TRUE(s.status_given);
    EXPECT_EQ(s.status, rcsim::ExpectedStatus::UR);
    EXPECT_FALSE(s.expect);
    EXPECT_EQ(s.source, "read bar0 0x2000 4 -> status UR");

    s = one("read cfg 0x100 4 -> status CA # server gone");
    EXPECT_EQ(s.target.space, Space::Cfg);
    EXPECT_EQ(s.status, rcsim::ExpectedStatus::CA);
    EXPECT_EQ(one("read bar1 0 8 -> status SC").status, rcsim::ExpectedStatus::SC);
    EXPECT_TRUE(one("read bar1 0 8 -> status SC").status_given);
    EXPECT_EQ(one("read bar1 0 8 -> status TIMEOUT").status, rcsim::ExpectedStatus::Timeout);

    s = one("write cfg 0x10 4 0xffffffff -> status UR");
    EXPECT_EQ(s.op, Op::Write);
    EXPECT_EQ(s.value, 0xffffffffu);
    EXPECT_TRUE(s.status_given);
    EXPECT_EQ(s.status, rcsim::ExpectedStatus::UR);
    EXPECT_FALSE(s.refused);

    s = one("write bar0 0x18 4 1 -> refused");
    EXPECT_EQ(s.value, 1u);
    EXPECT_TRUE(s.refused);
    EXPECT_FALSE(s.status_given);

    // A BAR write may state a status: an I/O BAR's write completes (the
    // runner refuses it for a memory BAR, whose kind only enumeration knows).
    s = one("write bar2 0x0 1 1 -> status SC");
    EXPECT_TRUE(s.status_given);
    EXPECT_EQ(s.status, rcsim::ExpectedStatus::SC);

    EXPECT_STREQ(rcsim::to_string(rcsim::ExpectedStatus::Timeout), "TIMEOUT");
}

TEST(CliParser, ExpectedOutcomeErrors) {
    EXPECT_ERROR_AT("read bar0 0 4 -> status", 1, 24,
                    "missing completion status (SC, UR, CA or TIMEOUT)");
    EXPECT_ERROR_AT("read bar0 0 4 -> status ur", 1, 25,
                    "unknown completion status 'ur' (SC, UR, CA or TIMEOUT)");
    EXPECT_ERROR_AT("read bar0 0 4 -> stat UR", 1, 18,
                    "expected 'expect' or 'status', found 'stat'");
    EXPECT_ERROR_AT("read mem 0 4 -> status SC", 1, 17, "host memory ('mem') has no completion");
    EXPECT_ERROR_AT("read bar0 0 4 -> status UR expect 1", 1, 28, "unexpected 'expect'");
    EXPECT_ERROR_AT("write cfg 0x10 4 1 -> refused", 1, 23, "a config write is non-posted");
    EXPECT_ERROR_AT("write mem 0 4 1 -> refused", 1, 17, "host memory ('mem') has no completion");
    EXPECT_ERROR_AT("write bar0 0 4 1 ->", 1, 20, "missing 'status' or 'refused'");
    EXPECT_ERROR_AT("write bar0 0 4 1 -> done", 1, 21,
                    "expected 'status' or 'refused', found 'done'");
    EXPECT_ERROR_AT("write bar0 0 4 1 -> refused now", 1, 29, "unexpected 'now'");
    EXPECT_ERROR_AT("write cfg 0 4 1 -> status XX", 1, 27, "unknown completion status 'XX'");
}

// The device's lifecycle (SCENARIOS.md, "Device lifecycle").
TEST(CliParser, LifecycleStatements) {
    Statement s = one("reset");
    EXPECT_EQ(s.op, Op::Reset);
    EXPECT_FALSE(s.flr);

    s = one("  reset flr   # Function Level Reset");
    EXPECT_EQ(s.op, Op::Reset);
    EXPECT_TRUE(s.flr);
    EXPECT_EQ(s.loc.col, 3u);
    EXPECT_EQ(s.source, "reset flr");
    EXPECT_EQ(s.device, "");

    // a device of a topology, by its name; a device named flr needs the flr
    s = one("reset nic");
    EXPECT_EQ(s.device, "nic");
    EXPECT_FALSE(s.flr);
    s = one("reset nic_2 flr");
    EXPECT_EQ(s.device, "nic_2");
    EXPECT_TRUE(s.flr);
    s = one("reset flr flr");
    EXPECT_EQ(s.device, "flr");
    EXPECT_TRUE(s.flr);
    s = one("dma-unmap nic.dma0");
    EXPECT_EQ(s.device, "nic");
    EXPECT_EQ(s.window, "dma0");

    s = one("dma-unmap dma0");
    EXPECT_EQ(s.op, Op::DmaUnmap);
    EXPECT_EQ(s.window, "dma0");
    s = one("dma-map dma1");
    EXPECT_EQ(s.op, Op::DmaMap);
    EXPECT_EQ(s.window, "dma1");

    EXPECT_STREQ(rcsim::to_string(Op::Reset), "reset");
    EXPECT_STREQ(rcsim::to_string(Op::DmaUnmap), "dma-unmap");
    EXPECT_STREQ(rcsim::to_string(Op::DmaMap), "dma-map");
}

TEST(CliParser, LifecycleErrors) {
    EXPECT_ERROR_AT("reset now later", 1, 11,
                    "expected 'flr' or nothing after 'reset now', found 'later'");
    EXPECT_ERROR_AT("reset Nic", 1, 7, "'Nic' is no device name (1 to 32 of a-z, 0-9, _");
    EXPECT_ERROR_AT("reset \"nic\"", 1, 7,
                    "expected a device name, 'flr' or nothing after "
                    "'reset', found a string");
    EXPECT_ERROR_AT("reset flr flr flr", 1, 15, "unexpected 'flr' at the end of the statement");
    EXPECT_ERROR_AT("dma-unmap Nic.dma0", 1, 11, "'Nic' is no device name");
    EXPECT_ERROR_AT("dma-unmap", 1, 10, "missing DMA window name");
    EXPECT_ERROR_AT("dma-map \"dma0\"", 1, 9, "a DMA window name is a word, not a string");
    EXPECT_ERROR_AT("dma-unmap dma0 dma1", 1, 16, "unexpected 'dma1'");
    EXPECT_ERROR_AT("rest", 1, 1, "reset, dma-unmap, dma-map, mask-irq");
}

// Live migration (SCENARIOS.md, "Live migration").
TEST(CliParser, MigrateStatement) {
    Statement s = one("migrate");
    EXPECT_EQ(s.op, Op::Migrate);
    EXPECT_EQ(s.count, 2u);     // pre-copy rounds
    EXPECT_EQ(s.cycles, 2000u); // between them
    EXPECT_EQ(s.command, "");
    EXPECT_FALSE(s.no_pre_copy);
    EXPECT_FALSE(s.refused);

    s = one("migrate to \"dmacopy --migration\" rounds 5 no-pre-copy round-cycles 1K -> refused");
    EXPECT_EQ(s.count, 5u);
    EXPECT_EQ(s.cycles, 1024u);
    EXPECT_EQ(s.command, "dmacopy --migration");
    EXPECT_TRUE(s.no_pre_copy);
    EXPECT_TRUE(s.refused);
    EXPECT_STREQ(rcsim::to_string(Op::Migrate), "migrate");
}

TEST(CliParser, MigrateErrors) {
    EXPECT_ERROR_AT("migrate rounds 65", 1, 16, "pre-copy rounds 65 is larger than 64");
    EXPECT_ERROR_AT("migrate rounds 1 rounds 2", 1, 18, "each at most once");
    EXPECT_ERROR_AT("migrate to dmacopy", 1, 12, "non-empty quoted string");
    EXPECT_ERROR_AT("migrate to \"\"", 1, 12, "non-empty quoted string");
    EXPECT_ERROR_AT("migrate now", 1, 9,
                    "expected 'rounds N', 'round-cycles N', 'no-pre-copy' or 'to \"COMMAND\"'");
    EXPECT_ERROR_AT("migrate ->", 1, 11, "missing 'refused' after '->'");
    EXPECT_ERROR_AT("migrate -> running", 1, 12, "expected 'refused' after '->', found 'running'");
    EXPECT_ERROR_AT("migrate -> refused rounds 1", 1, 20, "'-> refused' ends the statement");
    EXPECT_ERROR_AT("mirgate", 1, 1, "dma-window, migrate, topology, include");
}

TEST(CliParser, IrqSetUpStatements) {
    Statement s = one("mask-irq msix 5");
    EXPECT_EQ(s.op, Op::MaskIrq);
    EXPECT_EQ(s.irq, rcsim::IrqKind::Msix);
    EXPECT_EQ(s.vector, 5u);
    s = one("unmask-irq msi 0");
    EXPECT_EQ(s.op, Op::UnmaskIrq);
    EXPECT_EQ(s.irq, rcsim::IrqKind::Msi);
    s = one("mask-irq intx 0");
    EXPECT_EQ(s.irq, rcsim::IrqKind::Intx);
    s = one("switch-irq intx");
    EXPECT_EQ(s.op, Op::SwitchIrq);
    EXPECT_EQ(s.irq, rcsim::IrqKind::Intx);
    EXPECT_EQ(one("switch-irq none").irq, rcsim::IrqKind::None);
    EXPECT_EQ(one("switch-irq msix").irq, rcsim::IrqKind::Msix);

    EXPECT_STREQ(rcsim::to_string(Op::MaskIrq), "mask-irq");
    EXPECT_STREQ(rcsim::to_string(Op::UnmaskIrq), "unmask-irq");
    EXPECT_STREQ(rcsim::to_string(Op::SwitchIrq), "switch-irq");
}

TEST(CliParser, IrqSetUpErrors) {
    EXPECT_ERROR_AT("mask-irq none 0", 1, 10, "unknown interrupt kind 'none' (msix, msi or intx)");
    EXPECT_ERROR_AT("unmask-irq intx 1", 1, 17, "INTx has only vector 0 (INTA)");
    EXPECT_ERROR_AT("mask-irq msix", 1, 14, "missing vector");
    EXPECT_ERROR_AT("mask-irq msix 0 within 5", 1, 17, "unexpected 'within'");
    EXPECT_ERROR_AT("switch-irq", 1, 11, "missing interrupt kind (msix, msi, intx or none)");
    EXPECT_ERROR_AT("switch-irq msi-x", 1, 12,
                    "unknown interrupt kind 'msi-x' (msix, msi, intx or none)");
    EXPECT_ERROR_AT("switch-irq msi 0", 1, 16, "unexpected '0'");
    EXPECT_ERROR_AT("wait-irq none 0 within 1", 1, 10, "unknown interrupt kind 'none'");
    EXPECT_ERROR_AT("mask", 1, 1,
                    "mask-irq, unmask-irq, switch-irq, dma-window, migrate, topology, include");
}

TEST(CliParser, DmaWindowDeclarations) {
    const Program p = parse_ok("dma-window 0x10000000+0x10000:rw:dma0   # by messages\n"
                               "dma-window 0x20000000+0x10000:rw:fd:shm\n"
                               "read cfg 0x00 2\n");
    ASSERT_EQ(p.statements.size(), 3u);
    EXPECT_EQ(p.statements[0].op, Op::DmaWindow);
    EXPECT_EQ(p.statements[0].window, "0x10000000+0x10000:rw:dma0");
    EXPECT_EQ(p.statements[1].window, "0x20000000+0x10000:rw:fd:shm");
    EXPECT_STREQ(rcsim::to_string(Op::DmaWindow), "dma-window");
}

TEST(CliParser, DmaWindowErrors) {
    EXPECT_ERROR_AT("read cfg 0x00 2\ndma-window 0x0+0x1000:rw:a", 2, 1,
                    "dma-window declares a window mapped at connect: it must come before the "
                    "first other statement");
    EXPECT_ERROR_AT("dma-window", 1, 11, "missing DMA window");
    EXPECT_ERROR_AT("dma-window \"0x0+0x1000:rw:a\"", 1, 12,
                    "a DMA window is a word, not a string");
    EXPECT_ERROR_AT("dma-window 0x0+0x1000:rw:a b", 1, 28, "unexpected 'b'");
}

TEST(CliParser, PollWithMaskBoundAndInterval) {
    Statement s = one("poll bar0 0x18 4 until 0x1 mask 0x1 within 10000");
    EXPECT_EQ(s.op, Op::Poll);
    EXPECT_EQ(s.offset, 0x18u);
    EXPECT_EQ(s.value, 1u);
    EXPECT_EQ(s.mask, 1u);
    EXPECT_EQ(s.cycles, 10000u);
    EXPECT_EQ(s.every, 100u); // the default interval

    s = one("poll bar0 0x20 4 until 2 within 1M every 500");
    EXPECT_EQ(s.mask, 0xffffffffu);
    EXPECT_EQ(s.cycles, 1048576u);
    EXPECT_EQ(s.every, 500u);
}

TEST(CliParser, WaitIrqKinds) {
    Statement s = one("wait-irq msix 3 within 100000");
    EXPECT_EQ(s.op, Op::WaitIrq);
    EXPECT_EQ(s.irq, rcsim::IrqKind::Msix);
    EXPECT_EQ(s.vector, 3u);
    EXPECT_EQ(s.cycles, 100000u);
    EXPECT_EQ(one("wait-irq msi 0 within 5").irq, rcsim::IrqKind::Msi);
    EXPECT_EQ(one("wait-irq intx 0 within 5").irq, rcsim::IrqKind::Intx);
}

// A wait in wall-clock time: a number with a unit and the word `wall`.
TEST(CliParser, WaitIrqWithinWallTime) {
    Statement s = one("wait-irq intx 0 within 1500ms wall");
    EXPECT_EQ(s.wall_ms, 1500u);
    EXPECT_EQ(s.cycles, 0u);
    EXPECT_EQ(one("wait-irq msix 2 within 2s wall").wall_ms, 2000u);
    EXPECT_EQ(one("wait-irq msi 0 within 60s wall").wall_ms, 60000u);
    EXPECT_EQ(one("wait-irq msi 0 within 1_000ms wall").wall_ms, 1000u);
    // A bare number is still cycles, and no wall time.
    EXPECT_EQ(one("wait-irq intx 0 within 2000").wall_ms, 0u);
}

TEST(CliParser, WaitIrqWallTimeErrors) {
    EXPECT_ERROR_AT("wait-irq intx 0 within 2s", 1, 26, "missing 'wall' after the duration");
    EXPECT_ERROR_AT("wait-irq intx 0 within 2s cycles", 1, 27, "expected 'wall', found 'cycles'");
    EXPECT_ERROR_AT("wait-irq intx 0 within 61s wall", 1, 24, "out of range (1ms to 60s)");
    EXPECT_ERROR_AT("wait-irq intx 0 within 60001ms wall", 1, 24, "out of range");
    EXPECT_ERROR_AT("wait-irq intx 0 within 0ms wall", 1, 24, "out of range");
    EXPECT_ERROR_AT("wait-irq intx 0 within 1.5s wall", 1, 24, "bad duration '1.5s'");
    EXPECT_ERROR_AT("wait-irq intx 0 within 2Ks wall", 1, 24, "bad duration '2Ks'");
    EXPECT_ERROR_AT("wait-irq intx 0 within 18446744073709551616ms wall", 1, 24, "bad duration");
}

TEST(CliParser, FirstWallWaitNamesTheStatement) {
    Program p;
    ParseError e;
    ASSERT_EQ(
        parse_scenario("delay 5\nwait-irq intx 0 within 1000\nwait-irq intx 0 within 3s wall\n",
                       "w.rcs", nullptr, &p, &e),
        0)
        << e.to_string();
    const Statement *w = rcsim::first_wall_wait(p);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->loc.line, 3u);
    ASSERT_EQ(parse_scenario("wait-irq intx 0 within 1000\n", "c.rcs", nullptr, &p, &e), 0);
    EXPECT_EQ(rcsim::first_wall_wait(p), nullptr);
}

TEST(CliParser, FillPatterns) {
    Statement s = one("fill 0x10000000 65536 pattern counter");
    EXPECT_EQ(s.op, Op::Fill);
    EXPECT_EQ(s.addr, 0x10000000u);
    EXPECT_EQ(s.len, 65536u);
    EXPECT_EQ(s.pattern.kind, PatternKind::Counter);

    s = one("fill 0x10 64K pattern byte 0xAB");
    EXPECT_EQ(s.len, 65536u);
    EXPECT_EQ(s.pattern.kind, PatternKind::Byte);
    EXPECT_EQ(s.pattern.value, 0xabu);

    s = one("fill 0x10 1G pattern random 4294967295");
    EXPECT_EQ(s.len, 1ull << 30);
    EXPECT_EQ(s.pattern.kind, PatternKind::Random);
    EXPECT_EQ(s.pattern.value, 0xffffffffu);
}

TEST(CliParser, ExpectMemEqualsOrPattern) {
    Statement s = one("expect-mem 0x10100000 65536 equals 0x10000000");
    EXPECT_EQ(s.op, Op::ExpectMem);
    EXPECT_TRUE(s.equals);
    EXPECT_EQ(s.addr, 0x10100000u);
    EXPECT_EQ(s.len, 65536u);
    EXPECT_EQ(s.other_addr, 0x10000000u);

    s = one("expect-mem 0x10100000 16 pattern random 7");
    EXPECT_FALSE(s.equals);
    EXPECT_EQ(s.pattern.kind, PatternKind::Random);
    EXPECT_EQ(s.pattern.value, 7u);
}

TEST(CliParser, DelayAndDrain) {
    Statement s = one("delay 100");
    EXPECT_EQ(s.op, Op::Delay);
    EXPECT_EQ(s.cycles, 100u);
    s = one("drain");
    EXPECT_EQ(s.op, Op::Drain);
    EXPECT_EQ(s.cycles, 1000000u);
    EXPECT_EQ(one("drain within 42").cycles, 42u);
}

TEST(CliParser, CommentsAndBlankLinesKeepLineNumbers) {
    const Program p = parse_ok("# header\n\n   \t\ndelay 1 # trailing\r\n# x\ndelay 2\n");
    ASSERT_EQ(p.statements.size(), 2u);
    EXPECT_EQ(p.statements[0].loc.line, 4u);
    EXPECT_EQ(p.statements[0].source, "delay 1");
    EXPECT_EQ(p.statements[1].loc.line, 6u);
    EXPECT_TRUE(parse_ok("").statements.empty());
}

// ---- includes

TEST(CliParser, IncludeIsRelativeToTheIncludingFile) {
    Files f;
    f.files["dir/common.rcs"] = "delay 1\ninclude \"sub/inner.rcs\"\n";
    f.files["dir/sub/inner.rcs"] = "\ndelay 2\n";
    Program p;
    ParseError e;
    ASSERT_EQ(rcsim::parse_scenario("delay 0\ninclude \"common.rcs\" # c\ndelay 3\n", "dir/top.rcs",
                                    f.reader(), &p, &e),
              0)
        << e.to_string();
    ASSERT_EQ(p.statements.size(), 4u);
    EXPECT_EQ(p.statements[1].loc.file, "dir/common.rcs");
    EXPECT_EQ(p.statements[1].loc.line, 1u);
    EXPECT_EQ(p.statements[2].loc.file, "dir/sub/inner.rcs");
    EXPECT_EQ(p.statements[2].loc.line, 2u);
    EXPECT_EQ(p.statements[2].cycles, 2u);
    EXPECT_EQ(p.statements[3].loc.file, "dir/top.rcs");
    EXPECT_EQ(p.statements[3].loc.line, 3u);
    EXPECT_EQ(p.files,
              (std::vector<std::string>{"dir/top.rcs", "dir/common.rcs", "dir/sub/inner.rcs"}));
}

TEST(CliParser, IncludeErrorsNameTheirFile) {
    Files f;
    f.files["a.rcs"] = "delay 1\n\n  bogus 3\n";
    Program p;
    ParseError e;
    ASSERT_EQ(rcsim::parse_scenario("include \"a.rcs\"\n", "top.rcs", f.reader(), &p, &e), -EINVAL);
    EXPECT_EQ(e.to_string().substr(0, 10), "a.rcs:3:3:");

    ASSERT_EQ(
        rcsim::parse_scenario("delay 1\ninclude \"missing.rcs\"\n", "top.rcs", f.reader(), &p, &e),
        -EINVAL);
    EXPECT_EQ(e.loc.file, "top.rcs");
    EXPECT_EQ(e.loc.line, 2u);
    EXPECT_EQ(e.loc.col, 9u);
    EXPECT_NE(e.message.find("cannot include missing.rcs"), std::string::npos) << e.message;
}

TEST(CliParser, IncludeCycleIsRefused) {
    Files f;
    f.files["a.rcs"] = "include \"b.rcs\"\n";
    f.files["b.rcs"] = "delay 1\ninclude \"a.rcs\"\n";
    Program p;
    ParseError e;
    ASSERT_EQ(rcsim::parse_scenario("include \"a.rcs\"\n", "top.rcs", f.reader(), &p, &e), -EINVAL);
    EXPECT_EQ(e.loc.file, "b.rcs");
    EXPECT_EQ(e.loc.line, 2u);
    EXPECT_EQ(e.loc.col, 9u);
    EXPECT_NE(e.message.find("include cycle"), std::string::npos) << e.message;
}

TEST(CliParser, IncludeSyntax) {
    EXPECT_ERROR_AT("include", 1, 8, "missing the file name");
    EXPECT_ERROR_AT("include common.rcs", 1, 9, "double quotes");
    EXPECT_ERROR_AT("include \"a.rcs\" extra", 1, 17, "unexpected 'extra'");
    EXPECT_ERROR_AT("include \"\"", 1, 9, "empty file name");
    EXPECT_ERROR_AT("include \"a.rcs", 1, 9, "unterminated string");
    EXPECT_ERROR_AT("include \"a.rcs\"x", 1, 16, "blank after the string");
}

// ---- errors, each with its column

TEST(CliParser, UnknownStatementAndTarget) {
    EXPECT_ERROR_AT("delay 1\n  frobnicate bar0", 2, 3, "unknown statement 'frobnicate'");
    EXPECT_ERROR_AT("write bar6 0 4 1", 1, 7, "unknown target 'bar6'");
    EXPECT_ERROR_AT("read io 0 4", 1, 6, "unknown target 'io'");
    EXPECT_ERROR_AT("\"write\" bar0 0 4 1", 1, 1, "unknown statement");
}

TEST(CliParser, MissingAndExtraWords) {
    EXPECT_ERROR_AT("write", 1, 6, "missing target");
    EXPECT_ERROR_AT("write bar0 0x10", 1, 16, "missing size");
    EXPECT_ERROR_AT("write bar0 0x10 4", 1, 18, "missing value");
    EXPECT_ERROR_AT("write bar0 0x10 4 1 2", 1, 21, "unexpected '2'");
    EXPECT_ERROR_AT("read bar0 0x10 4 expect 1", 1, 18, "expected '->', found 'expect'");
    EXPECT_ERROR_AT("read bar0 0x10 4 ->", 1, 20, "missing 'expect'");
    EXPECT_ERROR_AT("read bar0 0x10 4 -> expect", 1, 27, "missing expected value");
    EXPECT_ERROR_AT("read bar0 0x10 4 -> expect 1 mask", 1, 34, "missing mask");
    EXPECT_EQ(one("delay 1 # x y").cycles, 1u); // a comment is not an extra word
}

TEST(CliParser, BadNumbers) {
    EXPECT_ERROR_AT("write bar0 0xg 4 1", 1, 12, "bad offset '0xg'");
    EXPECT_ERROR_AT("write bar0 0x 4 1", 1, 12, "bad offset");
    EXPECT_ERROR_AT("delay 12x", 1, 7, "bad cycles");
    EXPECT_ERROR_AT("delay _1", 1, 7, "bad cycles");
    EXPECT_ERROR_AT("delay 18446744073709551616", 1, 7, "bad cycles"); // 2^64
    EXPECT_ERROR_AT("delay 17179869184G", 1, 7, "bad cycles");         // 2^34 GiB
    EXPECT_ERROR_AT("delay -1", 1, 7, "bad cycles");
}

TEST(CliParser, SizesAndWidths) {
    EXPECT_ERROR_AT("write bar0 0 3 1", 1, 14, "size must be 1, 2, 4 or 8");
    EXPECT_ERROR_AT("write bar0 0 1 0x100", 1, 16, "does not fit in 1 byte");
    EXPECT_ERROR_AT("write bar0 0 2 0x10000", 1, 16, "does not fit in 2 bytes");
    EXPECT_ERROR_AT("read bar0 0 4 -> expect 0x100000000", 1, 25, "does not fit");
    EXPECT_ERROR_AT("read bar0 0 4 -> expect 0x3 mask 0x1", 1, 37, "bits outside the mask");
    EXPECT_ERROR_AT("read bar0 0 2 -> expect 1 mask 0x10000", 1, 32, "mask does not fit");
}

TEST(CliParser, ConfigAccessRules) {
    EXPECT_ERROR_AT("read cfg 0 8", 1, 12, "config accesses are 1, 2 or 4 bytes");
    EXPECT_ERROR_AT("read cfg 0x1000 4", 1, 10, "beyond 4 KiB");
    EXPECT_ERROR_AT("read cfg 0x3 2", 1, 10, "inside one DW");
    EXPECT_EQ(one("read cfg 0xffc 4").offset, 0xffcu);
    EXPECT_EQ(one("read cfg 0x2 2").offset, 0x2u);
}

TEST(CliParser, PollErrors) {
    EXPECT_ERROR_AT("poll bar0 0 4 within 10", 1, 15, "expected 'until', found 'within'");
    EXPECT_ERROR_AT("poll bar0 0 4 until 1", 1, 22, "missing 'within'");
    EXPECT_ERROR_AT("poll bar0 0 4 until 1 within 10 every 0", 1, 39, "at least 1 cycle");
    EXPECT_ERROR_AT("poll bar0 0 4 until 1 within 10 often", 1, 33, "unexpected 'often'");
}

TEST(CliParser, WaitIrqErrors) {
    EXPECT_ERROR_AT("wait-irq msx 0 within 1", 1, 10, "unknown interrupt kind 'msx'");
    EXPECT_ERROR_AT("wait-irq intx 1 within 1", 1, 15, "only vector 0");
    EXPECT_ERROR_AT("wait-irq msix 2048 within 1", 1, 15, "larger than 2047");
    EXPECT_ERROR_AT("wait-irq msix 0", 1, 16, "missing 'within'");
}

TEST(CliParser, FillAndExpectMemErrors) {
    EXPECT_ERROR_AT("fill 0x10 0 pattern counter", 1, 6, "empty range");
    EXPECT_ERROR_AT("fill 0xffffffffffffff00 0x200 pattern counter", 1, 6, "wraps");
    EXPECT_ERROR_AT("fill 0x10 16 counter", 1, 14, "expected 'pattern', found 'counter'");
    EXPECT_ERROR_AT("fill 0x10 16 pattern zeros", 1, 22, "unknown pattern 'zeros'");
    EXPECT_ERROR_AT("fill 0x10 16 pattern byte 0x100", 1, 27, "larger than 255");
    EXPECT_ERROR_AT("fill 0x10 16 pattern random 0x100000000", 1, 29, "larger than 4294967295");
    EXPECT_ERROR_AT("fill 0x10 16 pattern", 1, 21, "missing pattern");
    EXPECT_ERROR_AT("expect-mem 0x10 16", 1, 19, "missing 'equals ADDRESS' or 'pattern");
    EXPECT_ERROR_AT("expect-mem 0x10 16 same 0x20", 1, 20, "expected 'equals' or 'pattern'");
    EXPECT_ERROR_AT("expect-mem 0x10 0x20 equals 0xfffffffffffffff0", 1, 29, "wraps");
}

TEST(CliParser, OnlyTheFirstErrorIsReported) {
    const ParseError e = parse_err("delay 1\nwrite bar9 0 4 0\nbogus\n");
    EXPECT_EQ(e.loc.line, 2u);
    EXPECT_EQ(e.to_string(), "t.rcs:2:7: unknown target 'bar9' (bar0..bar5, rom, cfg or mem)");
}

TEST(CliParser, RandomTextNeverThrowsAndErrorsPointIntoTheLine) {
    // Words from the language and junk, glued at random: the parser answers
    // 0 or -EINVAL, and an error's column lies within its line (+1).
    const char *words[] = {"write",   "read",       "poll",     "wait-irq",
                           "fill",    "expect-mem", "delay",    "drain",
                           "include", "bar0",       "bar7",     "cfg",
                           "mem",     "0x10",       "4",        "8",
                           "->",      "expect",     "mask",     "until",
                           "within",  "every",      "pattern",  "counter",
                           "byte",    "random",     "equals",   "msix",
                           "intx",    "\"",         "#",        "0xffffffffffffffff",
                           "64K",     "_",          "0x",       "\t",
                           "\r",      "\"a.rcs\"",  "mask-irq", "switch-irq",
                           "none"};
    uint32_t seed = 12345;
    auto next = [&seed] {
        seed = seed * 1103515245u + 12345u;
        return seed >> 16;
    };
    for (int iter = 0; iter < 3000; ++iter) {
        std::string line;
        const unsigned n = next() % 8;
        for (unsigned i = 0; i < n; ++i) {
            line += words[next() % (sizeof(words) / sizeof(words[0]))];
            if (next() % 4)
                line += ' ';
        }
        Program p;
        ParseError e;
        const int rc = rcsim::parse_scenario(line, "r.rcs", nullptr, &p, &e);
        ASSERT_TRUE(rc == 0 || rc == -EINVAL) << line;
        if (rc < 0) {
            EXPECT_EQ(e.loc.line, 1u) << line;
            EXPECT_GE(e.loc.col, 1u) << line;
            EXPECT_LE(e.loc.col, line.size() + 1) << line << " -> " << e.to_string();
        }
    }
}

// ---- patterns, as SCENARIOS.md defines them

TEST(CliParser, PatternBytes) {
    uint8_t b[4];
    rcsim::PatternStream counter({PatternKind::Counter, 0});
    uint8_t c[258];
    counter.next(c, 258);
    EXPECT_EQ(c[0], 0);
    EXPECT_EQ(c[255], 255);
    EXPECT_EQ(c[256], 0);
    EXPECT_EQ(c[257], 1);

    rcsim::PatternStream byte({PatternKind::Byte, 0xab});
    byte.next(b, 4);
    EXPECT_EQ(b[0], 0xab);
    EXPECT_EQ(b[3], 0xab);

    // Seed 1: s1 = 1 * 1103515245 + 12345 = 0x41c67ea6 -> byte 0xc6;
    // s2 = (0x41c67ea6 * 1103515245 + 12345) mod 2^32 = 0x967eb0e7 -> 0x7e;
    // s3 = 0x2781e494 -> 0x81 (pieces must continue the sequence).
    rcsim::PatternStream random({PatternKind::Random, 1});
    random.next(b, 1);
    random.next(b + 1, 2);
    EXPECT_EQ(b[0], 0xc6);
    EXPECT_EQ(b[1], 0x7e);
    EXPECT_EQ(b[2], 0x81);
}

// ---- limits (sim/scenario/SCENARIOS.md "Limits"; issue 14 items 11 and 12)

TEST(CliParser, CycleCountsAreBoundedAtParseTime) {
    // 2^32 = 4294967296 cycles is the most a statement may wait.
    EXPECT_EQ(one("delay 4294967296").cycles, 4294967296ull);
    EXPECT_EQ(one("drain within 0x100000000").cycles, 4294967296ull);
    EXPECT_ERROR_AT("delay 4294967297", 1, 7, "larger than 4294967296");
    EXPECT_ERROR_AT("delay 18446744073709551615", 1, 7, "larger than 4294967296");
    EXPECT_ERROR_AT("drain within 0xffffffffffffffff", 1, 14, "larger than 4294967296");
    EXPECT_ERROR_AT("poll bar0 0 4 until 1 within 0x8000000000000000", 1, 30,
                    "larger than 4294967296");
    EXPECT_ERROR_AT("poll bar0 0 4 until 1 within 100 every 0x100000001", 1, 40,
                    "poll interval 4294967297 is larger");
    EXPECT_ERROR_AT("wait-irq msix 0 within 8G", 1, 24, "larger than 4294967296");
    EXPECT_ERROR_AT("delay 18446744073709551616", 1, 7, "bad cycles");
}

TEST(CliParser, FillsAreBoundedTogether) {
    // 1 GiB of fills in all: two halves fit, one byte more does not.
    EXPECT_EQ(
        parse_ok("fill 0 512M pattern counter\nfill 1G 512M pattern counter\n").statements.size(),
        2u);
    EXPECT_ERROR_AT("fill 0 512M pattern counter\nfill 1G 512M pattern counter\n"
                    "fill 2G 1 pattern counter\n",
                    3, 1, "more than 1073741824 bytes");
    // A length near 2^64 must not wrap the sum back under the bound.
    EXPECT_ERROR_AT("fill 0 16 pattern counter\nfill 0x100 0xfffffffffffffef0 pattern counter\n", 2,
                    1, "more than 1073741824 bytes");
}

// 8 files, each including the next 10 times: 10^7 includes if expanded.
TEST(CliParser, AnIncludeBombStopsAtTheIncludeBound) {
    Files f;
    for (int i = 0; i < 7; ++i) {
        std::string text;
        for (int k = 0; k < 10; ++k)
            text += "include \"b" + std::to_string(i + 1) + ".rcs\"\n";
        f.files["b" + std::to_string(i) + ".rcs"] = text;
    }
    f.files["b7.rcs"] = "delay 1\n";
    Program p;
    ParseError e;
    ASSERT_EQ(rcsim::parse_scenario(f.files["b0.rcs"], "b0.rcs", f.reader(), &p, &e), -EINVAL);
    EXPECT_NE(e.message.find("more than 10000 includes read"), std::string::npos) << e.to_string();
    EXPECT_EQ(f.asked.size(), 10000u) << "the 10001st include is refused before it is read";
    EXPECT_EQ(e.loc.col, 9u) << e.to_string();
}

TEST(CliParser, TheExpandedProgramIsBoundedInStatements) {
    // 101 reads of 1000 statements: the 100001st statement (the first of
    // the 101st read) is refused.
    Files f;
    std::string thousand, top;
    for (int i = 0; i < 1000; ++i)
        thousand += "delay 1\n";
    for (int i = 0; i < 101; ++i)
        top += "include \"s.rcs\"\n";
    f.files["s.rcs"] = thousand;
    Program p;
    ParseError e;
    ASSERT_EQ(rcsim::parse_scenario(top, "top.rcs", f.reader(), &p, &e), -EINVAL);
    EXPECT_EQ(e.loc.file, "s.rcs");
    EXPECT_EQ(e.loc.line, 1u);
    EXPECT_EQ(e.loc.col, 1u);
    EXPECT_NE(e.message.find("more than 100000 statements"), std::string::npos) << e.message;
}

TEST(CliParser, TheExpandedProgramIsBoundedInBytes) {
    // 100000 bytes of comment per read: 41 reads (4100000 bytes, plus the
    // top file) fit in 4 MiB (4194304), the 42nd does not.
    Files f;
    f.files["c.rcs"] = "#" + std::string(99998, 'x') + "\n";
    std::string top;
    for (int i = 0; i < 50; ++i)
        top += "include \"c.rcs\"\n";
    Program p;
    ParseError e;
    ASSERT_EQ(rcsim::parse_scenario(top, "top.rcs", f.reader(), &p, &e), -EINVAL);
    EXPECT_EQ(e.loc.file, "top.rcs");
    EXPECT_EQ(e.loc.line, 42u);
    EXPECT_EQ(e.loc.col, 9u);
    EXPECT_NE(e.message.find("larger than 4194304 bytes"), std::string::npos) << e.message;
    // The top file alone counts too.
    ASSERT_EQ(rcsim::parse_scenario("#" + std::string(4194304, 'x'), "big.rcs", nullptr, &p, &e),
              -EINVAL);
    EXPECT_EQ(e.loc.line, 1u);
    EXPECT_NE(e.message.find("larger than 4194304 bytes"), std::string::npos) << e.message;
}

} // namespace
