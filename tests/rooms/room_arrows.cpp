#include "room_arrows.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace rcsim::rooms {
namespace {

const char kReadme[] = "sim/README.md";
const char kHeading[] = "## Rooms and arrows";
const char kNone[] = "\u2014"; // the em dash the table writes for "no arrows"
const char kOwnFolder[] = "${CMAKE_CURRENT_SOURCE_DIR}";

using Lines = std::vector<std::string>;

struct Room {
    std::string name;
    std::vector<std::string> uses;
    size_t line = 0; // of its row in the README
};

// Rooms in table order, which is also the order violations come out in.
using Table = std::vector<Room>;

// A file inside a room's folder; rel is relative to that folder.
struct RoomFile {
    std::string room;
    std::string rel;
};

struct Context {
    fs::path root;
    Table table;
    std::map<std::string, std::set<std::string>> allowed; // a room, and all it may reach
    std::vector<RoomFile> files;
    ArrowCheck *check = nullptr;

    void report(const std::string &text) const { check->violations.push_back(text); }
};

std::string trim(const std::string &s) {
    const char *space = " \t\r\n";
    size_t begin = s.find_first_not_of(space);
    if (begin == std::string::npos)
        return {};
    return s.substr(begin, s.find_last_not_of(space) - begin + 1);
}

bool starts_with(const std::string &s, const std::string &prefix) {
    return s.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string &s, const std::string &suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string at(const std::string &file, size_t line) {
    return file + ":" + std::to_string(line);
}

// Throws: an unreadable file leaves the check without a verdict.
std::string read_text(const fs::path &path) {
    std::ifstream in(path, std::ios::binary);
    if (!fs::is_regular_file(path) || !in)
        throw std::runtime_error("cannot read " + path.string());
    std::ostringstream text;
    text << in.rdbuf(); // sets text's failbit on an empty file, which is no error
    if (in.bad())
        throw std::runtime_error("cannot read " + path.string());
    return text.str();
}

Lines split_lines(const std::string &text) {
    Lines lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

// Sorted, so that reports do not depend on the order readdir returns.
std::vector<fs::path> sorted(std::vector<fs::path> paths) {
    std::sort(paths.begin(), paths.end());
    return paths;
}

std::vector<fs::path> files_under(const fs::path &dir) {
    std::vector<fs::path> files;
    for (const auto &entry : fs::recursive_directory_iterator(dir))
        if (entry.is_regular_file())
            files.push_back(entry.path());
    return sorted(files);
}

std::vector<fs::path> folders_in(const fs::path &dir) {
    std::vector<fs::path> folders;
    for (const auto &entry : fs::directory_iterator(dir))
        if (entry.is_directory())
            folders.push_back(entry.path());
    return sorted(folders);
}

const Room *find_room(const Table &table, const std::string &name) {
    for (const Room &room : table)
        if (room.name == name)
            return &room;
    return nullptr;
}

// ---- the table -------------------------------------------------------------

// A row's cells without the outer pipes; `\|` stays inside its cell.
std::vector<std::string> row_cells(const std::string &line) {
    std::string s = trim(line);
    if (!s.empty() && s.front() == '|')
        s.erase(0, 1);
    if (!s.empty() && s.back() == '|' && !ends_with(s, "\\|"))
        s.pop_back();
    std::vector<std::string> cells(1);
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '|') {
            cells.back() += s[++i];
            continue;
        }
        if (s[i] == '|') {
            cells.emplace_back();
            continue;
        }
        cells.back() += s[i];
    }
    for (std::string &cell : cells)
        cell = trim(cell);
    return cells;
}

bool is_table_line(const std::string &line) {
    return starts_with(trim(line), "|");
}

// Headings of the heading's own level or above end its section.
bool ends_section(const std::string &line) {
    return starts_with(line, "# ") || starts_with(line, "## ");
}

bool is_separator(const std::string &line) {
    for (const std::string &cell : row_cells(line))
        if (cell.empty() || cell.find_first_not_of(":-") != std::string::npos)
            return false;
    return true;
}

// `name/` -> name; empty when the cell is anything else.
std::string room_ref(const std::string &cell) {
    if (cell.size() < 4 || cell.front() != '`' || !ends_with(cell, "/`"))
        return {};
    std::string name = cell.substr(1, cell.size() - 3);
    auto folder_char = [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; };
    if (!std::all_of(name.begin(), name.end(), folder_char))
        return {};
    return name;
}

bool parse_uses(const std::string &cell, std::vector<std::string> *uses) {
    if (cell == kNone)
        return true;
    std::istringstream in(cell);
    for (std::string item; std::getline(in, item, ',');) {
        std::string name = room_ref(trim(item));
        if (name.empty())
            return false;
        uses->push_back(name);
    }
    return !uses->empty();
}

struct Columns {
    size_t room = 0, uses = 0, count = 0;
};

bool header_columns(const std::string &line, Columns *cols) {
    std::vector<std::string> cells = row_cells(line);
    auto room = std::find(cells.begin(), cells.end(), "room");
    auto uses = std::find(cells.begin(), cells.end(), "may use");
    if (room == cells.end() || uses == cells.end())
        return false;
    cols->room = room - cells.begin();
    cols->uses = uses - cells.begin();
    cols->count = cells.size();
    return true;
}

void parse_row(const std::string &line, size_t line_no, const Columns &cols, Context *cx) {
    const std::string where = at(kReadme, line_no) + ": malformed row in the rooms table: ";
    std::vector<std::string> cells = row_cells(line);
    if (cells.size() != cols.count) {
        cx->report(where + std::to_string(cells.size()) + " cell(s) where the header has " +
                   std::to_string(cols.count));
        return;
    }
    Room room{room_ref(cells[cols.room]), {}, line_no};
    if (room.name.empty()) {
        cx->report(where + "room \"" + cells[cols.room] +
                   "\" is not a folder in backticks (`name/`)");
        return;
    }
    if (!parse_uses(cells[cols.uses], &room.uses)) {
        cx->report(where + "may use \"" + cells[cols.uses] + "\" is neither " + kNone +
                   " nor a comma-separated list of `name/`");
        return;
    }
    if (const Room *first = find_room(cx->table, room.name)) {
        cx->report(at(kReadme, line_no) + ": room " + room.name +
                   "/ has a second row (the first is line " + std::to_string(first->line) + ")");
        return;
    }
    cx->table.push_back(room);
}

size_t find_heading(const Lines &lines) {
    for (size_t i = 0; i < lines.size(); ++i)
        if (trim(lines[i]) == kHeading)
            return i;
    return lines.size();
}

size_t find_table(const Lines &lines, size_t from) {
    for (size_t i = from; i < lines.size(); ++i) {
        if (is_table_line(lines[i]))
            return i;
        if (ends_section(lines[i]))
            break;
    }
    return lines.size();
}

void parse_table(const Lines &lines, Context *cx) {
    size_t heading = find_heading(lines);
    if (heading == lines.size()) {
        cx->report(std::string(kReadme) + ": no \"" + kHeading + "\" heading");
        return;
    }
    size_t start = find_table(lines, heading + 1);
    if (start == lines.size()) {
        cx->report(at(kReadme, heading + 1) + ": no table under \"" + kHeading + "\"");
        return;
    }
    Columns cols;
    if (!header_columns(lines[start], &cols)) {
        cx->report(at(kReadme, start + 1) +
                   ": the rooms table has no \"room\" or no \"may use\" column");
        return;
    }
    if (start + 1 == lines.size() || !is_separator(lines[start + 1])) {
        cx->report(at(kReadme, start + 2) + ": the rooms table has no |---| row under its header");
        return;
    }
    for (size_t i = start + 2; i < lines.size() && is_table_line(lines[i]); ++i)
        parse_row(lines[i], i + 1, cols, cx);
}

// ---- the arrows ------------------------------------------------------------

void check_known_uses(const Context &cx) {
    for (const Room &room : cx.table)
        for (const std::string &use : room.uses)
            if (!find_room(cx.table, use))
                cx.report(at(kReadme, room.line) + ": " + room.name + "/ may use " + use +
                          "/, which has no row");
}

// Depth-first, in table order: every arrow back into the current path closes
// one cycle, reported from where the path entered it.
class CycleFinder {
  public:
    explicit CycleFinder(const Context &cx) : cx_(cx) {}

    void run() {
        for (const Room &room : cx_.table)
            if (state_[room.name] == kNew)
                visit(room);
    }

  private:
    enum State { kNew, kOnPath, kDone };

    void visit(const Room &room) {
        state_[room.name] = kOnPath;
        path_.push_back(room.name);
        for (const std::string &use : room.uses) {
            const Room *next = find_room(cx_.table, use);
            if (!next)
                continue;
            if (state_[use] == kOnPath)
                report(room, use);
            if (state_[use] == kNew)
                visit(*next);
        }
        path_.pop_back();
        state_[room.name] = kDone;
    }

    void report(const Room &from, const std::string &back_to) const {
        std::string cycle;
        auto it = std::find(path_.begin(), path_.end(), back_to);
        for (; it != path_.end(); ++it)
            cycle += *it + "/ -> ";
        cx_.report(at(kReadme, from.line) + ": the arrows run in a cycle: " + cycle + back_to +
                   "/");
    }

    const Context &cx_;
    std::map<std::string, State> state_;
    std::vector<std::string> path_;
};

std::set<std::string> reachable(const Table &table, const std::string &from) {
    std::set<std::string> seen{from};
    std::vector<std::string> todo{from};
    while (!todo.empty()) {
        const Room *room = find_room(table, todo.back());
        todo.pop_back();
        if (!room)
            continue;
        for (const std::string &use : room->uses)
            if (seen.insert(use).second)
                todo.push_back(use);
    }
    return seen;
}

bool may_use(const Context &cx, const std::string &room, const std::string &other) {
    return cx.allowed.at(room).count(other) > 0;
}

// ---- folders ---------------------------------------------------------------

fs::path room_dir(const Context &cx, const std::string &room) {
    return cx.root / "sim" / room;
}

std::string shown(const Context &cx, const fs::path &path) {
    return path.lexically_relative(cx.root).generic_string();
}

void check_folders(const Context &cx) {
    for (const Room &room : cx.table)
        if (!fs::is_directory(room_dir(cx, room.name)))
            cx.report(at(kReadme, room.line) + ": room " + room.name + "/ has a row but sim/" +
                      room.name + "/ is not a folder");
    for (const fs::path &dir : folders_in(cx.root / "sim")) {
        std::string name = dir.filename().string();
        if (fs::exists(dir / "CMakeLists.txt") && !find_room(cx.table, name))
            cx.report("sim/" + name + "/CMakeLists.txt: folder sim/" + name + "/ has no row in " +
                      kReadme);
    }
}

std::vector<RoomFile> index_files(const Context &cx) {
    std::vector<RoomFile> files;
    for (const Room &room : cx.table) {
        fs::path dir = room_dir(cx, room.name);
        if (!fs::is_directory(dir))
            continue;
        for (const fs::path &file : files_under(dir))
            files.push_back({room.name, file.lexically_relative(dir).generic_string()});
    }
    return files;
}

// The rooms holding a file an include names, in table order.
std::vector<std::string> holders(const Context &cx, const std::string &target) {
    std::vector<std::string> rooms;
    for (const RoomFile &file : cx.files)
        if (file.rel == target || ends_with(file.rel, "/" + target))
            if (std::find(rooms.begin(), rooms.end(), file.room) == rooms.end())
                rooms.push_back(file.room);
    return rooms;
}

// ---- includes --------------------------------------------------------------

bool is_source(const fs::path &file) {
    static const std::set<std::string> kExtensions = {".cpp", ".cc", ".c", ".hpp", ".hh", ".h"};
    return kExtensions.count(file.extension().string()) > 0;
}

// X of `#include "X"`; empty otherwise (angle includes are system headers,
// never a room's).
std::string quoted_include(const std::string &line) {
    std::string s = trim(line);
    if (!starts_with(s, "#"))
        return {};
    s = trim(s.substr(1));
    if (!starts_with(s, "include"))
        return {};
    s = trim(s.substr(7));
    size_t close = s.find('"', 1);
    if (!starts_with(s, "\"") || close == std::string::npos)
        return {};
    return s.substr(1, close - 1);
}

// A path either climbs out of the room (`..`, absolute) or starts at a room's
// folder, which resolves only from a shared root such as sim/ -- the include
// path this layout exists to avoid.
bool reaches_out_by_path(const Context &cx, const std::string &room, const fs::path &file,
                         const std::string &target) {
    if (target.find('/') == std::string::npos)
        return false;
    fs::path resolved = (file.parent_path() / target).lexically_normal();
    fs::path inside = resolved.lexically_relative(room_dir(cx, room));
    if (inside.empty() || *inside.begin() == "..")
        return true;
    if (fs::exists(resolved))
        return false;
    std::string first = fs::path(target).begin()->string();
    return find_room(cx.table, first) && fs::exists(cx.root / "sim" / target);
}

void check_include(const Context &cx, const std::string &room, const fs::path &file, size_t line,
                   const std::string &target) {
    const std::string where = at(shown(cx, file), line) + ": includes " + target;
    if (reaches_out_by_path(cx, room, file, target)) {
        cx.report(where + ", which reaches outside its room by path");
        return;
    }
    if (fs::exists(file.parent_path() / target))
        return;
    std::vector<std::string> rooms = holders(cx, target);
    if (rooms.empty())
        return; // not ours: the C client's, Verilator's, a tool's header
    for (const std::string &holder : rooms)
        if (may_use(cx, room, holder))
            return;
    cx.report(where + " (" + rooms.front() + "/), which " + room + "/ may not use");
}

void check_sources(const Context &cx, const std::string &room) {
    for (const fs::path &file : files_under(room_dir(cx, room))) {
        if (!is_source(file))
            continue;
        ++cx.check->sources;
        Lines lines = split_lines(read_text(file));
        for (size_t i = 0; i < lines.size(); ++i) {
            std::string target = quoted_include(lines[i]);
            if (!target.empty())
                check_include(cx, room, file, i + 1, target);
        }
    }
}

// ---- CMake -----------------------------------------------------------------

struct CmakeArg {
    std::string text;
    size_t line = 0;
};

struct CmakeCall {
    std::string name; // lower case: CMake's command names ignore case
    std::vector<CmakeArg> args;
};

// Just enough of CMake's grammar to find commands and their arguments without
// being fooled by comments: line and bracket comments, quoted and bracket
// arguments, nested parentheses.
class CmakeScanner {
  public:
    explicit CmakeScanner(const std::string &text) : s_(text) {}

    std::vector<CmakeCall> calls() {
        std::vector<CmakeCall> calls;
        while (!at_end()) {
            char c = peek();
            if (c == '#') {
                skip_comment();
                continue;
            }
            if (!std::isalpha(static_cast<unsigned char>(c)) && c != '_') {
                advance();
                continue;
            }
            CmakeCall call{identifier(), {}};
            while (peek() == ' ' || peek() == '\t')
                advance();
            if (peek() != '(')
                continue;
            advance();
            call.args = arguments();
            calls.push_back(call);
        }
        return calls;
    }

  private:
    static constexpr size_t kNoBracket = std::string::npos;

    bool at_end() const { return i_ >= s_.size(); }
    char peek() const { return at_end() ? '\0' : s_[i_]; }

    void advance() {
        if (s_[i_] == '\n')
            ++line_;
        ++i_;
    }

    // The number of '=' when at "[=*[", else kNoBracket.
    size_t bracket_open() const {
        size_t j = i_ + 1;
        while (j < s_.size() && s_[j] == '=')
            ++j;
        if (peek() != '[' || j >= s_.size() || s_[j] != '[')
            return kNoBracket;
        return j - i_ - 1;
    }

    std::string bracket_body(size_t equals) {
        for (size_t n = 0; n < equals + 2; ++n)
            advance();
        size_t end = s_.find("]" + std::string(equals, '=') + "]", i_);
        size_t stop = end == std::string::npos ? s_.size() : end + equals + 2;
        std::string body = s_.substr(i_, std::min(end, s_.size()) - i_);
        while (i_ < stop)
            advance();
        return body;
    }

    void skip_comment() {
        advance();
        if (bracket_open() != kNoBracket) {
            bracket_body(bracket_open());
            return;
        }
        while (!at_end() && peek() != '\n')
            advance();
    }

    std::string identifier() {
        std::string name;
        while (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_') {
            name += static_cast<char>(std::tolower(static_cast<unsigned char>(peek())));
            advance();
        }
        return name;
    }

    std::string quoted() {
        std::string text;
        advance();
        while (!at_end() && peek() != '"') {
            if (peek() == '\\') {
                text += peek();
                advance();
            }
            if (at_end())
                break;
            text += peek();
            advance();
        }
        if (!at_end())
            advance();
        return text;
    }

    std::string unquoted() {
        std::string text;
        while (!at_end()) {
            char c = peek();
            if (std::isspace(static_cast<unsigned char>(c)) || c == '(' || c == ')' || c == '#' ||
                c == '"')
                break;
            text += c;
            advance();
            if (c == '\\' && !at_end()) {
                text += peek();
                advance();
            }
        }
        return text;
    }

    // Parentheses inside a call nest; only the call's own ')' ends it.
    int paren(char c) {
        advance();
        return c == '(' ? 1 : -1;
    }

    std::vector<CmakeArg> arguments() {
        std::vector<CmakeArg> args;
        for (int depth = 1; !at_end() && depth > 0;) {
            char c = peek();
            size_t line = line_;
            if (std::isspace(static_cast<unsigned char>(c)))
                advance();
            else if (c == '#')
                skip_comment();
            else if (c == '(' || c == ')')
                depth += paren(c);
            else if (c == '"')
                args.push_back({quoted(), line});
            else if (bracket_open() != kNoBracket)
                args.push_back({bracket_body(bracket_open()), line});
            else
                args.push_back({unquoted(), line});
        }
        return args;
    }

    const std::string &s_;
    size_t i_ = 0;
    size_t line_ = 1;
};

// The C identifiers in a CMake argument: `$<LINK_ONLY:rcsim_x>` holds
// rcsim_x, `PkgConfig::NETTLE` holds no rcsim_ name.
std::vector<std::string> identifiers(const std::string &text) {
    std::vector<std::string> names(1);
    for (char c : text) {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '_')
            names.back() += c;
        else if (!names.back().empty())
            names.emplace_back();
    }
    if (names.back().empty())
        names.pop_back();
    return names;
}

void check_links(const Context &cx, const std::string &room, const std::string &file,
                 const CmakeCall &call) {
    const std::string prefix = "rcsim_";
    for (const CmakeArg &arg : call.args)
        for (const std::string &name : identifiers(arg.text)) {
            if (!starts_with(name, prefix))
                continue;
            std::string other = name.substr(prefix.size());
            if (!find_room(cx.table, other) || may_use(cx, room, other))
                continue; // not a room (rcsim_harness_rtl), or an arrow the table draws
            cx.report(at(file, arg.line) + ": links " + name + " (" + other + "/), which " + room +
                      "/ may not use");
        }
}

// Each room's include path is its own folder: a shared root (sim/, a folder
// of another room) would let an include run any way and still build.
void check_include_dirs(const Context &cx, const std::string &file, const CmakeCall &call) {
    static const std::set<std::string> kKeywords = {"SYSTEM",    "BEFORE", "AFTER",
                                                    "INTERFACE", "PUBLIC", "PRIVATE"};
    size_t first = call.name == "target_include_directories" ? 1 : 0;
    for (size_t i = first; i < call.args.size(); ++i) {
        const CmakeArg &arg = call.args[i];
        if (kKeywords.count(arg.text) || arg.text == kOwnFolder)
            continue;
        cx.report(at(file, arg.line) + ": " + call.name + " names " + arg.text +
                  ", a folder other than the room's own (" + kOwnFolder + ")");
    }
}

bool is_cmake(const fs::path &file) {
    return file.filename() == "CMakeLists.txt" || file.extension() == ".cmake";
}

void check_cmake(const Context &cx, const std::string &room) {
    for (const fs::path &file : files_under(room_dir(cx, room))) {
        if (!is_cmake(file))
            continue;
        std::string text = read_text(file);
        for (const CmakeCall &call : CmakeScanner(text).calls()) {
            if (call.name == "target_link_libraries")
                check_links(cx, room, shown(cx, file), call);
            if (call.name == "target_include_directories" || call.name == "include_directories")
                check_include_dirs(cx, shown(cx, file), call);
        }
    }
}

// ---- the whole check -------------------------------------------------------

void run(const fs::path &root, ArrowCheck *check) {
    Context cx;
    cx.root = root;
    cx.check = check;
    parse_table(split_lines(read_text(root / kReadme)), &cx);
    check->rooms = cx.table.size();
    check_known_uses(cx);
    CycleFinder(cx).run();
    check_folders(cx);
    for (const Room &room : cx.table)
        cx.allowed[room.name] = reachable(cx.table, room.name);
    cx.files = index_files(cx);
    for (const Room &room : cx.table) {
        if (!fs::is_directory(room_dir(cx, room.name)))
            continue;
        check_sources(cx, room.name);
        check_cmake(cx, room.name);
    }
}

} // namespace

ArrowCheck check_room_arrows(const fs::path &source_root) {
    ArrowCheck check;
    try {
        fs::path root = fs::absolute(source_root).lexically_normal();
        if (root.filename().empty())
            root = root.parent_path(); // "dir/" would make every shown path start with ../
        run(root, &check);
    } catch (const std::exception &e) {
        check = ArrowCheck();
        check.error = e.what();
    }
    return check;
}

} // namespace rcsim::rooms
