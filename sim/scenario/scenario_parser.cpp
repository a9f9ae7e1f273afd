#include "scenario_parser.hpp"

#include "input_file.hpp"

#include <cerrno>
#include <cstring>
#include <sstream>
#include <utility>

namespace rcsim {

namespace {

constexpr unsigned kMaxIncludeDepth = 16;

struct Token {
    std::string text;
    unsigned col = 0;
    bool quoted = false;
};

// Thrown inside one statement's parse only; parse_scenario turns it into a
// return value, so nothing escapes the API.
struct Failure {
    unsigned col;
    std::string message;
};

// Splits a line into words; '#' outside quotes starts a comment; "..." is
// one word (no escapes: paths only).
std::vector<Token> tokenize(const std::string &line, unsigned *comment_col) {
    std::vector<Token> out;
    size_t i = 0;
    *comment_col = 0;
    while (i < line.size()) {
        const char c = line[i];
        if (c == ' ' || c == '\t' || c == '\r') {
            ++i;
            continue;
        }
        if (c == '#') {
            *comment_col = unsigned(i + 1);
            break;
        }
        Token t;
        t.col = unsigned(i + 1);
        if (c == '"') {
            const size_t end = line.find('"', i + 1);
            if (end == std::string::npos)
                throw Failure{t.col, "unterminated string"};
            t.text = line.substr(i + 1, end - i - 1);
            t.quoted = true;
            i = end + 1;
            if (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '#' &&
                line[i] != '\r')
                throw Failure{unsigned(i + 1), "expected a blank after the string"};
        } else {
            const size_t end = line.find_first_of(" \t\r#\"", i);
            t.text = line.substr(i, end == std::string::npos ? std::string::npos : end - i);
            i = end == std::string::npos ? line.size() : end;
        }
        out.push_back(std::move(t));
    }
    return out;
}

bool parse_number_text(const std::string &s, uint64_t *out) {
    std::string digits;
    for (char c : s)
        if (c != '_')
            digits += c;
    if (digits.empty() || s.front() == '_' || s.back() == '_')
        return false;
    unsigned base = 10;
    size_t i = 0;
    uint64_t scale = 1;
    if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
        base = 16;
        i = 2;
    } else if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B')) {
        base = 2;
        i = 2;
    } else {
        const char last = digits.back();
        const uint64_t k = last == 'K'   ? 1ull << 10
                           : last == 'M' ? 1ull << 20
                           : last == 'G' ? 1ull << 30
                                         : 1;
        if (k != 1) {
            scale = k;
            digits.pop_back();
        }
    }
    if (i >= digits.size())
        return false;
    uint64_t v = 0;
    for (; i < digits.size(); ++i) {
        const char c = digits[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = unsigned(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = unsigned(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = unsigned(c - 'A' + 10);
        else
            return false;
        if (d >= base || v > (~0ull - d) / base)
            return false;
        v = v * base + d;
    }
    if (v > ~0ull / scale)
        return false;
    *out = v * scale;
    return true;
}

// Walks the words of one statement, each read names what it expected.
class Cursor {
  public:
    Cursor(const std::vector<Token> &t, size_t line_len)
        : t_(t), end_col_(unsigned(line_len + 1)) {}

    bool done() const { return i_ >= t_.size(); }
    const Token &peek_token() const { return t_[i_]; }
    unsigned col() const { return done() ? end_col_ : t_[i_].col; }

    const Token &take(const char *what) {
        if (done())
            throw Failure{end_col_, std::string("missing ") + what};
        return t_[i_++];
    }
    bool accept(const char *word) {
        if (done() || t_[i_].quoted || t_[i_].text != word)
            return false;
        ++i_;
        return true;
    }
    void expect_word(const char *word) {
        const unsigned c = col();
        if (done())
            throw Failure{c, std::string("missing '") + word + "'"};
        if (!accept(word))
            throw Failure{c, std::string("expected '") + word + "', found '" + t_[i_].text + "'"};
    }
    uint64_t number(const char *what) {
        const Token &t = take(what);
        uint64_t v = 0;
        if (t.quoted || !parse_number_text(t.text, &v))
            throw Failure{t.col, std::string("bad ") + what + " '" + t.text +
                                     "' (a number: decimal, 0x hex, 0b binary, K/M/G suffix)"};
        return v;
    }
    uint64_t number_max(const char *what, uint64_t max) {
        const unsigned c = col();
        const uint64_t v = number(what);
        if (v > max)
            throw Failure{c, std::string(what) + " " + std::to_string(v) + " is larger than " +
                                 std::to_string(max) + ", its maximum"};
        return v;
    }
    void finish() {
        if (!done())
            throw Failure{t_[i_].col,
                          "unexpected '" + t_[i_].text + "' at the end of the statement"};
    }

  private:
    const std::vector<Token> &t_;
    size_t i_ = 0;
    unsigned end_col_;
};

uint64_t size_mask(unsigned size) {
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

// A count of simulated cycles, at most kMaxCycles.
uint64_t cycles(Cursor &c, const char *what) {
    return c.number_max(what, kMaxCycles);
}

// A device's name as a topology gives it (sim/topology/README.md).
void check_device_name(const std::string &name, unsigned col) {
    bool ok = !name.empty() && name.size() <= 32;
    for (char ch : name)
        ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_');
    if (!ok)
        throw Failure{col, "'" + name +
                               "' is no device name (1 to 32 of a-z, 0-9, _, as a topology "
                               "names its devices)"};
}

// DEVICE.WORD (a device of the topology) or WORD: the word, with the
// device's name in `device` ("" when none).
std::string device_word(const Token &t, std::string *device) {
    const size_t dot = t.text.find('.');
    if (dot == std::string::npos)
        return t.text;
    const std::string name = t.text.substr(0, dot);
    check_device_name(name, t.col);
    *device = name;
    return t.text.substr(dot + 1);
}

Target parse_target(Cursor &c, std::string *device) {
    const Token &t = c.take("target (bar0..bar5, rom, cfg or mem; DEVICE.bar0 with a topology)");
    const std::string w = device_word(t, device);
    if (w == "cfg")
        return {Space::Cfg, 0};
    if (w == "mem") {
        if (!device->empty())
            throw Failure{t.col, "host memory belongs to no device: 'mem', not '" + t.text + "'"};
        return {Space::Mem, 0};
    }
    if (w == "rom") // the expansion ROM: region 6, entry 6 of the BAR map
        return {Space::Bar, 6};
    if (w.size() == 4 && w.compare(0, 3, "bar") == 0 && w[3] >= '0' && w[3] <= '5')
        return {Space::Bar, unsigned(w[3] - '0')};
    throw Failure{t.col, "unknown target '" + t.text + "' (bar0..bar5, rom, cfg or mem)"};
}

// TARGET OFFSET SIZE, with the rules each space has.
void parse_access(Cursor &c, Statement &s) {
    s.target = parse_target(c, &s.device);
    const unsigned off_col = c.col();
    s.offset = c.number("offset");
    const unsigned size_col = c.col();
    const uint64_t size = c.number("size");
    if (size != 1 && size != 2 && size != 4 && size != 8)
        throw Failure{size_col, "size must be 1, 2, 4 or 8, not " + std::to_string(size)};
    s.size = unsigned(size);
    if (s.target.space == Space::Cfg) {
        if (s.size == 8)
            throw Failure{size_col, "config accesses are 1, 2 or 4 bytes"};
        if (s.offset >= 4096)
            throw Failure{off_col, "config offset beyond 4 KiB"};
        if ((s.offset & 3) + s.size > 4)
            throw Failure{off_col, "a config access must stay inside one DW"};
    }
}

uint64_t parse_value(Cursor &c, const char *what, unsigned size) {
    const unsigned col = c.col();
    const uint64_t v = c.number(what);
    if (v & ~size_mask(size))
        throw Failure{col, std::string(what) + " does not fit in " + std::to_string(size) +
                               (size == 1 ? " byte" : " bytes")};
    return v;
}

void parse_mask(Cursor &c, Statement &s) {
    if (c.accept("mask"))
        s.mask = parse_value(c, "mask", s.size);
    else
        s.mask = size_mask(s.size);
}

Pattern parse_pattern(Cursor &c) {
    const Token &t = c.take("pattern (counter, byte V or random SEED)");
    if (t.text == "counter")
        return {PatternKind::Counter, 0};
    if (t.text == "byte")
        return {PatternKind::Byte, c.number_max("byte value", 0xff)};
    if (t.text == "random")
        return {PatternKind::Random, c.number_max("seed", 0xffffffffull)};
    throw Failure{t.col, "unknown pattern '" + t.text + "' (counter, byte V or random SEED)"};
}

void parse_range(Cursor &c, Statement &s) {
    const unsigned col = c.col();
    s.addr = c.number("address");
    s.len = c.number("length");
    if (s.len == 0)
        throw Failure{col, "empty range"};
    if (s.addr + s.len < s.addr)
        throw Failure{col, "range wraps around the address space"};
}

const char *const kStatusWords = "SC, UR, CA or TIMEOUT";

// `status S` after the arrow: the completion a non-posted access expects.
void parse_status(Cursor &c, Statement &s) {
    const Token &t = c.take(("completion status (" + std::string(kStatusWords) + ")").c_str());
    static const ExpectedStatus kAll[] = {ExpectedStatus::SC, ExpectedStatus::UR,
                                          ExpectedStatus::CA, ExpectedStatus::Timeout};
    for (ExpectedStatus e : kAll) {
        if (!t.quoted && t.text == to_string(e)) {
            s.status_given = true;
            s.status = e;
            return;
        }
    }
    throw Failure{t.col, "unknown completion status '" + t.text + "' (" + kStatusWords + ")"};
}

// Host memory is the CPU's own: no TLP, so nothing completes or refuses.
void no_outcome_for_mem(const Statement &s, unsigned col) {
    if (s.target.space == Space::Mem)
        throw Failure{col, "host memory ('mem') has no completion: there is no outcome to expect"};
}

// `write ... VALUE [-> status S | -> refused]`. A config write is
// non-posted (it completes); a BAR write is posted for a memory BAR and
// non-posted for an I/O BAR, which only enumeration tells: the runner
// checks the BAR's kind.
void parse_write_outcome(Cursor &c, Statement &s) {
    const unsigned arrow = c.col();
    if (!c.accept("->"))
        return;
    no_outcome_for_mem(s, arrow);
    const unsigned col = c.col();
    if (c.accept("status"))
        return parse_status(c, s);
    if (c.accept("refused")) {
        if (s.target.space == Space::Cfg)
            throw Failure{col, "a config write is non-posted and completes: state its status "
                               "with '-> status S'"};
        s.refused = true;
        return;
    }
    if (c.done())
        throw Failure{col, "missing 'status' or 'refused'"};
    throw Failure{col, "expected 'status' or 'refused', found '" + c.peek_token().text + "'"};
}

void parse_write(Cursor &c, Statement &s) {
    parse_access(c, s);
    s.value = parse_value(c, "value", s.size);
    parse_write_outcome(c, s);
}

void parse_read(Cursor &c, Statement &s) {
    parse_access(c, s);
    if (c.done())
        return;
    c.expect_word("->");
    const unsigned col = c.col();
    if (c.accept("status")) {
        no_outcome_for_mem(s, col);
        return parse_status(c, s);
    }
    if (c.done())
        throw Failure{col, "missing 'expect' or 'status'"};
    if (!c.accept("expect"))
        throw Failure{col, "expected 'expect' or 'status', found '" + c.peek_token().text + "'"};
    s.expect = true;
    s.value = parse_value(c, "expected value", s.size);
    parse_mask(c, s);
    if (s.value & ~s.mask)
        throw Failure{c.col(), "expected value has bits outside the mask"};
}

void parse_poll(Cursor &c, Statement &s) {
    parse_access(c, s);
    c.expect_word("until");
    s.value = parse_value(c, "expected value", s.size);
    parse_mask(c, s);
    if (s.value & ~s.mask)
        throw Failure{c.col(), "expected value has bits outside the mask"};
    c.expect_word("within");
    s.cycles = cycles(c, "cycle bound");
    if (c.accept("every")) {
        const unsigned col = c.col();
        s.every = cycles(c, "poll interval");
        if (s.every == 0)
            throw Failure{col, "poll interval must be at least 1 cycle"};
    }
}

// A wall-clock duration is a number with a unit (`1500ms`, `2s`); a bare
// number stays a count of simulated cycles.
bool is_duration(const Cursor &c) {
    if (c.done() || c.peek_token().quoted)
        return false;
    const std::string &t = c.peek_token().text;
    return !t.empty() && t[0] >= '0' && t[0] <= '9' && t.back() == 's' &&
           t.compare(0, 2, "0x") != 0 && t.compare(0, 2, "0X") != 0;
}

// `within DURATION wall`: a wait in wall-clock time, outside the determinism
// guarantee, so it is spelled out on the line (SCENARIOS.md, "Wall-clock waits").
void parse_wall_bound(Cursor &c, Statement &s) {
    const Token &t = c.take("duration");
    const bool ms = t.text.size() > 2 && t.text.compare(t.text.size() - 2, 2, "ms") == 0;
    const std::string digits = t.text.substr(0, t.text.size() - (ms ? 2 : 1));
    uint64_t v = 0;
    if (!parse_number_text(digits, &v) ||
        digits.find_first_not_of("0123456789_") != std::string::npos)
        throw Failure{t.col, "bad duration '" + t.text +
                                 "' (decimal milliseconds or seconds: 1500ms, 2s)"};
    const uint64_t max = ms ? kMaxWallMs : kMaxWallMs / 1000;
    if (v == 0 || v > max)
        throw Failure{t.col, "duration " + t.text + " is out of range (1ms to " +
                                 std::to_string(kMaxWallMs / 1000) + "s)"};
    s.wall_ms = ms ? v : v * 1000;
    const unsigned col = c.col();
    if (c.done())
        throw Failure{col, "missing 'wall' after the duration (a wait in wall-clock time is "
                           "marked as such; a count of cycles has no unit)"};
    c.expect_word("wall");
}

// KIND, or DEVICE.KIND with a topology.
IrqKind parse_irq_kind(Cursor &c, bool none_allowed, std::string *device) {
    const char *kinds = none_allowed ? "msix, msi, intx or none" : "msix, msi or intx";
    const Token &k = c.take(none_allowed ? "interrupt kind (msix, msi, intx or none)"
                                         : "interrupt kind (msix, msi or intx)");
    const std::string w = device_word(k, device);
    if (w == "msix")
        return IrqKind::Msix;
    if (w == "msi")
        return IrqKind::Msi;
    if (w == "intx")
        return IrqKind::Intx;
    if (w == "none" && none_allowed)
        return IrqKind::None;
    throw Failure{k.col, "unknown interrupt kind '" + k.text + "' (" + kinds + ")"};
}

// KIND VECTOR, as wait-irq, mask-irq and unmask-irq name a vector.
void parse_irq_vector(Cursor &c, Statement &s) {
    s.irq = parse_irq_kind(c, false, &s.device);
    const unsigned col = c.col();
    s.vector = unsigned(c.number_max("vector", 2047));
    if (s.irq == IrqKind::Intx && s.vector != 0)
        throw Failure{col, "INTx has only vector 0 (INTA)"};
}

void parse_wait_irq(Cursor &c, Statement &s) {
    parse_irq_vector(c, s);
    c.expect_word("within");
    if (is_duration(c))
        return parse_wall_bound(c, s);
    s.cycles = cycles(c, "cycle bound");
}

void parse_switch_irq(Cursor &c, Statement &s) {
    s.irq = parse_irq_kind(c, true, &s.device);
}

void parse_fill(Cursor &c, Statement &s) {
    parse_range(c, s);
    c.expect_word("pattern");
    s.pattern = parse_pattern(c);
}

void parse_expect_mem(Cursor &c, Statement &s) {
    parse_range(c, s);
    if (c.accept("equals")) {
        s.equals = true;
        const unsigned col = c.col();
        s.other_addr = c.number("address");
        if (s.other_addr + s.len < s.other_addr)
            throw Failure{col, "range wraps around the address space"};
        return;
    }
    if (c.done())
        throw Failure{c.col(), "missing 'equals ADDRESS' or 'pattern ...'"};
    if (!c.accept("pattern"))
        throw Failure{c.col(),
                      "expected 'equals' or 'pattern', found '" + c.peek_token().text + "'"};
    s.pattern = parse_pattern(c);
}

void parse_delay(Cursor &c, Statement &s) {
    s.cycles = cycles(c, "cycles");
}

void parse_drain(Cursor &c, Statement &s) {
    s.cycles = 1000000;
    if (c.accept("within"))
        s.cycles = cycles(c, "cycle bound");
}

void parse_expect_dma_refused(Cursor &c, Statement &s) {
    s.count = c.number("count of refused DMA commands");
}

// reset: DEVICE_RESET; reset flr: Initiate FLR in the PCIe Device Control.
// reset [DEVICE] [flr]: a device of a topology by its name, as the topology
// names it (so a device named "flr" is reset as `reset flr flr`).
void parse_reset(Cursor &c, Statement &s) {
    if (c.done())
        return;
    const unsigned col = c.col();
    if (c.accept("flr")) {
        if (c.done()) {
            s.flr = true;
            return;
        }
        s.device = "flr";
    } else {
        const Token &t = c.take("device name or 'flr'");
        if (t.quoted)
            throw Failure{col, "expected a device name, 'flr' or nothing after 'reset', found "
                               "a string"};
        check_device_name(t.text, col);
        s.device = t.text;
    }
    if (c.done())
        return;
    const unsigned at = c.col();
    if (!c.accept("flr"))
        throw Failure{at, "expected 'flr' or nothing after 'reset " + s.device + "', found '" +
                              c.peek_token().text + "'"};
    s.flr = true;
}

// dma-unmap [DEVICE.]NAME / dma-map [DEVICE.]NAME: which windows exist is
// known at run time.
void parse_window(Cursor &c, Statement &s) {
    const Token &t = c.take("DMA window name (e.g. dma0; DEVICE.dma0 with a topology)");
    if (t.quoted)
        throw Failure{t.col, "a DMA window name is a word, not a string"};
    s.window = device_word(t, &s.device);
}

// dma-window BASE+SIZE:PERM[:fd|:sock]:NAME: one word, as on the command line.
void parse_dma_window_decl(Cursor &c, Statement &s) {
    const Token &t =
        c.take("DMA window (BASE+SIZE:PERM[:fd|:sock]:NAME, as --dma-window takes it)");
    if (t.quoted)
        throw Failure{t.col, "a DMA window is a word, not a string"};
    s.window = t.text;
}

std::string dir_of(const std::string &file);

// topology "FILE": the devices the run drives (sim/topology/README.md); the
// path is taken from the directory of the file naming it, as include's.
void parse_topology_decl(Cursor &c, Statement &s) {
    const Token &t = c.take("topology file (a string)");
    if (!t.quoted || t.text.empty())
        throw Failure{t.col, "a topology file is a non-empty string in quotes"};
    s.command = t.text[0] == '/' ? t.text : dir_of(s.loc.file) + t.text;
}

// migrate [rounds N] [round-cycles N] [no-pre-copy] [to "COMMAND"], in any
// order, then optionally `-> refused`: the destination must refuse RUNNING.
void parse_migrate(Cursor &c, Statement &s) {
    s.count = 2;
    s.cycles = 2000;
    bool rounds = false, gap = false, to = false;
    while (!c.done()) {
        const unsigned col = c.col();
        if (!s.no_pre_copy && c.accept("no-pre-copy")) {
            s.no_pre_copy = true;
        } else if (!rounds && c.accept("rounds")) {
            s.count = c.number_max("pre-copy rounds", 64);
            rounds = true;
        } else if (!gap && c.accept("round-cycles")) {
            s.cycles = cycles(c, "cycles between pre-copy rounds");
            gap = true;
        } else if (c.accept("->")) {
            const unsigned at = c.col();
            if (!c.accept("refused"))
                throw Failure{at, c.done() ? std::string("missing 'refused' after '->'")
                                           : "expected 'refused' after '->', found '" +
                                                 c.peek_token().text + "'"};
            s.refused = true;
            if (!c.done())
                throw Failure{c.col(), "'-> refused' ends the statement"};
        } else if (!to && c.accept("to")) {
            const Token &t = c.take("the destination's command line, quoted");
            if (!t.quoted || t.text.empty())
                throw Failure{t.col, "the destination's command line is a non-empty quoted "
                                     "string (migrate to \"server --flag\")"};
            s.command = t.text;
            to = true;
        } else {
            throw Failure{col, "expected 'rounds N', 'round-cycles N', 'no-pre-copy' or 'to "
                               "\"COMMAND\"' "
                               "(each at most once), found '" +
                                   c.peek_token().text + "'"};
        }
    }
}

struct Handler {
    const char *word;
    Op op;
    void (*parse)(Cursor &, Statement &);
};

const Handler kHandlers[] = {
    {"write", Op::Write, parse_write},
    {"read", Op::Read, parse_read},
    {"poll", Op::Poll, parse_poll},
    {"wait-irq", Op::WaitIrq, parse_wait_irq},
    {"fill", Op::Fill, parse_fill},
    {"expect-mem", Op::ExpectMem, parse_expect_mem},
    {"delay", Op::Delay, parse_delay},
    {"drain", Op::Drain, parse_drain},
    {"expect-dma-refused", Op::ExpectDmaRefused, parse_expect_dma_refused},
    {"reset", Op::Reset, parse_reset},
    {"dma-unmap", Op::DmaUnmap, parse_window},
    {"dma-map", Op::DmaMap, parse_window},
    {"mask-irq", Op::MaskIrq, parse_irq_vector},
    {"unmask-irq", Op::UnmaskIrq, parse_irq_vector},
    {"switch-irq", Op::SwitchIrq, parse_switch_irq},
    {"dma-window", Op::DmaWindow, parse_dma_window_decl},
    {"migrate", Op::Migrate, parse_migrate},
    {"topology", Op::Topology, parse_topology_decl},
};

std::string dir_of(const std::string &file) {
    const size_t slash = file.rfind('/');
    return slash == std::string::npos ? std::string() : file.substr(0, slash + 1);
}

std::string trim(const std::string &s) {
    const size_t b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos)
        return "";
    const size_t e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

class Parser {
  public:
    Parser(const IncludeReader &reader, Program *out, ParseError *error)
        : reader_(reader), out_(out), error_(error) {}

    // False (error set at `at`) when reading `text` would take the expanded
    // program past kMaxProgramBytes.
    bool count_bytes(const std::string &text, const SourceLoc &at) {
        bytes_ += text.size();
        if (bytes_ <= kMaxProgramBytes)
            return true;
        return fail(at.file, at.line, at.col,
                    "the expanded program is larger than " + std::to_string(kMaxProgramBytes) +
                        " bytes (every include counted each time it is read)");
    }

    bool parse_file(const std::string &text, const std::string &name) {
        stack_.push_back(name);
        std::istringstream in(text);
        std::string line;
        unsigned n = 0;
        bool ok = true;
        while (ok && std::getline(in, line))
            ok = statement(line, name, ++n);
        stack_.pop_back();
        return ok;
    }

  private:
    bool fail(const std::string &file, unsigned line, unsigned col, const std::string &msg) {
        error_->loc = {file, line, col};
        error_->message = msg;
        return false;
    }

    bool statement(const std::string &line, const std::string &file, unsigned n) {
        std::vector<Token> tokens;
        unsigned comment_col = 0;
        try {
            tokens = tokenize(line, &comment_col);
        } catch (const Failure &f) {
            return fail(file, n, f.col, f.message);
        }
        if (tokens.empty())
            return true;
        const std::string source = trim(comment_col ? line.substr(0, comment_col - 1) : line);
        if (tokens[0].text == "include" && !tokens[0].quoted)
            return include(tokens, file, n, comment_col ? comment_col - 1 : line.size());
        Statement s;
        s.loc = {file, n, tokens[0].col};
        s.source = source;
        const Handler *h = nullptr;
        for (const Handler &c : kHandlers)
            if (!tokens[0].quoted && tokens[0].text == c.word)
                h = &c;
        if (!h)
            return fail(file, n, tokens[0].col,
                        "unknown statement '" + tokens[0].text +
                            "' (write, read, poll, wait-irq, fill, expect-mem, delay, drain, "
                            "expect-dma-refused, reset, dma-unmap, dma-map, mask-irq, unmask-irq, "
                            "switch-irq, dma-window, migrate, topology, include)");
        s.op = h->op;
        Cursor c(tokens, comment_col ? comment_col - 1 : line.size());
        c.take("statement");
        try {
            h->parse(c, s);
            c.finish();
        } catch (const Failure &f) {
            return fail(file, n, f.col, f.message);
        }
        if (!within_bounds(s, file, n, tokens[0].col))
            return false;
        // Windows are mapped at connect, before the first statement runs: a
        // declaration after one would read as if it took effect there.
        if (s.op == Op::DmaWindow && !out_->statements.empty() &&
            out_->statements.back().op != Op::DmaWindow &&
            out_->statements.back().op != Op::Topology)
            return fail(file, n, tokens[0].col,
                        "dma-window declares a window mapped at connect: it must come before "
                        "the first other statement");
        // The devices are started before anything runs.
        if (s.op == Op::Topology && !out_->statements.empty())
            return fail(file, n, tokens[0].col,
                        "topology names the devices the run starts: it must be the first "
                        "statement (and the only topology)");
        out_->statements.push_back(std::move(s));
        return true;
    }

    // The program-wide bounds (scenario_parser.hpp) with `s` added.
    bool within_bounds(const Statement &s, const std::string &file, unsigned n, unsigned col) {
        if (s.op == Op::Fill && s.len > kMaxProgramFillBytes - fill_bytes_)
            return fail(file, n, col,
                        "the program's fills write more than " +
                            std::to_string(kMaxProgramFillBytes) + " bytes of host memory");
        if (out_->statements.size() >= kMaxProgramStatements)
            return fail(file, n, col,
                        "the expanded program has more than " +
                            std::to_string(kMaxProgramStatements) +
                            " statements (every include counted each time it is read)");
        if (s.op == Op::Fill)
            fill_bytes_ += s.len; // stays <= kMaxProgramFillBytes
        return true;
    }

    bool include(const std::vector<Token> &tokens, const std::string &file, unsigned n,
                 size_t line_len) {
        if (tokens.size() < 2)
            return fail(file, n, unsigned(line_len + 1), "missing the file name (in quotes)");
        if (!tokens[1].quoted)
            return fail(file, n, tokens[1].col, "the file name must be in double quotes");
        if (tokens.size() > 2)
            return fail(file, n, tokens[2].col,
                        "unexpected '" + tokens[2].text + "' at the end of the statement");
        const Token &t = tokens[1];
        if (t.text.empty())
            return fail(file, n, t.col, "empty file name");
        const std::string path = t.text[0] == '/' ? t.text : dir_of(file) + t.text;
        for (const std::string &open : stack_)
            if (open == path)
                return fail(file, n, t.col, "include cycle: " + path + " is already being read");
        if (stack_.size() >= kMaxIncludeDepth)
            return fail(file, n, t.col,
                        "includes nested deeper than " + std::to_string(kMaxIncludeDepth));
        if (++include_reads_ > kMaxIncludeReads)
            return fail(file, n, t.col,
                        "more than " + std::to_string(kMaxIncludeReads) +
                            " includes read in all (every include counted each time it is read)");
        std::string text, err;
        if (!reader_ || reader_(path, &text, &err) < 0)
            return fail(file, n, t.col, "cannot include " + path + ": " + err);
        if (!count_bytes(text, {file, n, t.col}))
            return false;
        out_->files.push_back(path);
        return parse_file(text, path);
    }

    const IncludeReader &reader_;
    Program *out_;
    ParseError *error_;
    std::vector<std::string> stack_;
    size_t bytes_ = 0, include_reads_ = 0;
    uint64_t fill_bytes_ = 0;
};

} // namespace

std::string ParseError::to_string() const {
    return loc.file + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col) + ": " +
           message;
}

int parse_scenario(const std::string &text, const std::string &file, const IncludeReader &reader,
                   Program *out, ParseError *error) {
    Program p;
    p.files.push_back(file);
    ParseError e;
    Parser parser(reader, &p, &e);
    if (!parser.count_bytes(text, {file, 1, 1}) || !parser.parse_file(text, file)) {
        if (error)
            *error = e;
        return -EINVAL;
    }
    *out = std::move(p);
    return 0;
}

int read_scenario_file(const std::string &path, std::string *text, std::string *error) {
    return read_input_file(path, kMaxScenarioFileBytes, text, error);
}

PatternStream::PatternStream(const Pattern &p) : p_(p), state_(uint32_t(p.value)) {}

void PatternStream::next(uint8_t *out, size_t n) {
    for (size_t i = 0; i < n; ++i, ++index_) {
        switch (p_.kind) {
        case PatternKind::Counter:
            out[i] = uint8_t(index_);
            break;
        case PatternKind::Byte:
            out[i] = uint8_t(p_.value);
            break;
        case PatternKind::Random:
            state_ = state_ * 1103515245u + 12345u;
            out[i] = uint8_t(state_ >> 16);
            break;
        }
    }
}

const char *to_string(ExpectedStatus s) {
    switch (s) {
    case ExpectedStatus::SC:
        return "SC";
    case ExpectedStatus::UR:
        return "UR";
    case ExpectedStatus::CA:
        return "CA";
    case ExpectedStatus::Timeout:
        return "TIMEOUT";
    }
    return "?";
}

const char *to_string(Op op) {
    for (const Handler &h : kHandlers)
        if (h.op == op)
            return h.word;
    return "?";
}

const Statement *first_wall_wait(const Program &p) {
    for (const Statement &s : p.statements)
        if (s.wall_ms)
            return &s;
    return nullptr;
}

} // namespace rcsim
