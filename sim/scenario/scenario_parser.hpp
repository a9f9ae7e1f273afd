// The scenario language of `rcsim run` (reference: sim/scenario/SCENARIOS.md): one
// statement per line, parsed into a flat program with every include
// expanded. The parser is pure: text in, program or a file:line:col error
// out; includes are read through a callback, so tests feed it from memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace rcsim {

// Bounds on what a scenario may ask for (sim/scenario/SCENARIOS.md, "Limits"): a
// statement waits at most kMaxCycles cycles (2^32, about 17 s of simulated
// time at 250 MHz), so that with at most kMaxProgramStatements statements
// the whole run stays inside SystemC's 64-bit picosecond clock; the expanded
// program (every include counted each time it is read) is bounded in
// statements, bytes and include reads, so an include bomb ends in a parse
// error, not in memory exhaustion.
constexpr uint64_t kMaxCycles = 1ull << 32;
constexpr size_t kMaxProgramStatements = 100000;
constexpr size_t kMaxProgramBytes = size_t(4) << 20;
constexpr size_t kMaxIncludeReads = 10000;
// `fill` is what makes host memory grow (it holds the pages written): the
// fills of one program write at most this many bytes together.
constexpr uint64_t kMaxProgramFillBytes = 1ull << 30;
// A wall-clock wait (`wait-irq ... within 2s wall`) lasts at most this long:
// a timer that does not fire ends in a failed statement, not a hang.
constexpr uint64_t kMaxWallMs = 60000;

struct SourceLoc {
    std::string file;
    unsigned line = 0, col = 0; // 1-based
};

// Where an access goes: a BAR of the device (MMIO TLPs through the root
// port), its config space (config TLPs), or host memory (the host CPU's own
// view: no TLPs, no DMA windows).
enum class Space { Bar, Cfg, Mem };

struct Target {
    Space space = Space::Bar;
    unsigned bar = 0;
};

enum class PatternKind { Counter, Byte, Random };

// counter: byte i of the range is i & 0xff; byte V: every byte is V;
// random SEED: s = SEED (32 bits); per byte s = s * 1103515245 + 12345
// (mod 2^32), byte = (s >> 16) & 0xff.
struct Pattern {
    PatternKind kind = PatternKind::Counter;
    uint64_t value = 0; // the byte, or the seed
};

// None only in `switch-irq none` (every kind off).
enum class IrqKind { Msix, Msi, Intx, None };

// The completion status a non-posted access may expect (`-> status S`): the
// names of the host port's statuses (HostStatus in sim/port/rtl_ports.hpp).
enum class ExpectedStatus { SC, UR, CA, Timeout };
const char *to_string(ExpectedStatus s);

enum class Op {
    Write,
    Read,
    Poll,
    WaitIrq,
    Fill,
    ExpectMem,
    Delay,
    Drain,
    ExpectDmaRefused,
    Reset,
    DmaUnmap,
    DmaMap,
    MaskIrq,
    UnmaskIrq,
    SwitchIrq,
    DmaWindow,
    Migrate,
    Topology
};

struct Statement {
    Op op = Op::Delay;
    SourceLoc loc;      // of the statement's first word
    std::string source; // the line as written (comment and blanks trimmed)
    // The device of a topology the statement addresses (`nic.bar0`,
    // `wait-irq nic.msix 0`); "" for the single device (or, with a
    // topology, the first one).
    std::string device;
    // write / read / poll
    Target target;
    uint64_t offset = 0; // BAR or config offset, or host address for mem
    unsigned size = 0;   // 1, 2, 4 or 8
    uint64_t value = 0;  // written value, or expected value of read/poll
    bool expect = false; // read: an expectation follows
    uint64_t mask = ~0ull;
    uint64_t every = 100; // poll: cycles between reads
    // read / write: `-> status S` states the completion expected (without
    // it: SC, anything else fails); write: `-> refused` expects the server
    // to refuse a posted write (its error reply; the link has no completion).
    bool status_given = false;
    ExpectedStatus status = ExpectedStatus::SC;
    bool refused = false;
    // poll / wait-irq / drain: bound in cycles; delay: cycles to wait
    uint64_t cycles = 0;
    // reset: `reset flr` (a Function Level Reset through config space)
    // rather than DEVICE_RESET
    bool flr = false;
    // dma-unmap / dma-map: the DMA window's name (HarnessConfig::dma_windows);
    // dma-window: the window's spec as `rcsim run --dma-window` takes it
    // (checked where the windows are set up, sim/run/)
    std::string window;
    // expect-dma-refused: DMA commands refused since the last such statement;
    // migrate: pre-copy rounds (`cycles`: the cycles between them)
    uint64_t count = 0;
    // migrate ... to "COMMAND": the destination's command line ("" the
    // source's own); topology "FILE": the file's path (relative to the
    // scenario that names it, as include's)
    std::string command;
    // migrate ... no-pre-copy: the device goes from RUNNING to STOP_COPY,
    // never PRE_COPY, even when it offers it (host memory still moves in
    // rounds). `-> refused` (in `refused`): the destination must refuse
    // RUNNING, and the scenario goes on with it attached in STOP.
    bool no_pre_copy = false;
    // wait-irq ... within DURATION wall: the bound in wall-clock
    // milliseconds (0: the bound is `cycles`), for a server's own timers
    uint64_t wall_ms = 0;
    // wait-irq / mask-irq / unmask-irq (kind and vector) / switch-irq (kind)
    IrqKind irq = IrqKind::Msix;
    unsigned vector = 0;
    // fill / expect-mem
    uint64_t addr = 0, len = 0;
    bool equals = false;     // expect-mem ... equals OTHER
    uint64_t other_addr = 0; // the range compared against
    Pattern pattern;
};

struct Program {
    std::vector<Statement> statements;
    std::vector<std::string> files; // the top file, then each include read
};

struct ParseError {
    SourceLoc loc;
    std::string message;
    std::string to_string() const; // "file:line:col: message"
};

// Reads the text of an included file; returns 0 or a negative errno with
// `error` set.
using IncludeReader =
    std::function<int(const std::string &path, std::string *text, std::string *error)>;

// Parses `text` (the content of `file`). An include's path is taken relative
// to the directory of the file that names it. Returns 0, or -EINVAL with
// `error` set (the first error only).
int parse_scenario(const std::string &text, const std::string &file, const IncludeReader &reader,
                   Program *out, ParseError *error);

// The reader `rcsim run` uses: the file system, through the checked opener
// (sim/files/input_file.hpp; regular files of at most kMaxScenarioFileBytes).
int read_scenario_file(const std::string &path, std::string *text, std::string *error);

// The bytes of a pattern from the start of its range on, in pieces.
class PatternStream {
  public:
    explicit PatternStream(const Pattern &p);
    void next(uint8_t *out, size_t n);

  private:
    Pattern p_;
    uint64_t index_ = 0;
    uint32_t state_ = 0;
};

const char *to_string(Op op);

// The first statement that waits in wall-clock time (`within ... wall`), or
// nullptr: a run of such a program is not repeatable (SCENARIOS.md).
const Statement *first_wall_wait(const Program &p);

} // namespace rcsim
