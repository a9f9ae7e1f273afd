#include "arrows_table.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace rcsim::rooms::detail {
namespace {

const char kHeading[] = "## Rooms and arrows";
const char kNone[] = "\u2014"; // the em dash the table writes for "no arrows"

// The table as far as it has been read; a bad row is reported and skipped,
// so the rows after it still count.
struct Reader {
    Table table;
    std::vector<std::string> *violations = nullptr;

    void report(const std::string &text) const { violations->push_back(text); }
};

// ---- the rows --------------------------------------------------------------

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

void parse_row(const std::string &line, size_t line_no, const Columns &cols, Reader *reader) {
    const std::string where = at(kReadme, line_no) + ": malformed row in the rooms table: ";
    std::vector<std::string> cells = row_cells(line);
    if (cells.size() != cols.count) {
        reader->report(where + std::to_string(cells.size()) + " cell(s) where the header has " +
                       std::to_string(cols.count));
        return;
    }
    Room room{room_ref(cells[cols.room]), {}, line_no};
    if (room.name.empty()) {
        reader->report(where + "room \"" + cells[cols.room] +
                       "\" is not a folder in backticks (`name/`)");
        return;
    }
    if (!parse_uses(cells[cols.uses], &room.uses)) {
        reader->report(where + "may use \"" + cells[cols.uses] + "\" is neither " + kNone +
                       " nor a comma-separated list of `name/`");
        return;
    }
    if (const Room *first = find_room(reader->table, room.name)) {
        reader->report(at(kReadme, line_no) + ": room " + room.name +
                       "/ has a second row (the first is line " + std::to_string(first->line) +
                       ")");
        return;
    }
    reader->table.push_back(room);
}

// ---- the table -------------------------------------------------------------

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

void parse_table(const Lines &lines, Reader *reader) {
    size_t heading = find_heading(lines);
    if (heading == lines.size()) {
        reader->report(std::string(kReadme) + ": no \"" + kHeading + "\" heading");
        return;
    }
    size_t start = find_table(lines, heading + 1);
    if (start == lines.size()) {
        reader->report(at(kReadme, heading + 1) + ": no table under \"" + kHeading + "\"");
        return;
    }
    Columns cols;
    if (!header_columns(lines[start], &cols)) {
        reader->report(at(kReadme, start + 1) +
                       ": the rooms table has no \"room\" or no \"may use\" column");
        return;
    }
    if (start + 1 == lines.size() || !is_separator(lines[start + 1])) {
        reader->report(at(kReadme, start + 2) +
                       ": the rooms table has no |---| row under its header");
        return;
    }
    for (size_t i = start + 2; i < lines.size() && is_table_line(lines[i]); ++i)
        parse_row(lines[i], i + 1, cols, reader);
}

// ---- the arrows ------------------------------------------------------------

void check_known_uses(const Reader &reader) {
    for (const Room &room : reader.table)
        for (const std::string &use : room.uses)
            if (!find_room(reader.table, use))
                reader.report(at(kReadme, room.line) + ": " + room.name + "/ may use " + use +
                              "/, which has no row");
}

// Depth-first, in table order: every arrow back into the current path closes
// one cycle, reported from where the path entered it.
class CycleFinder {
  public:
    explicit CycleFinder(const Reader &reader) : reader_(reader) {}

    void run() {
        for (const Room &room : reader_.table)
            if (state_[room.name] == kNew)
                visit(room);
    }

  private:
    enum State { kNew, kOnPath, kDone };

    void visit(const Room &room) {
        state_[room.name] = kOnPath;
        path_.push_back(room.name);
        for (const std::string &use : room.uses) {
            const Room *next = find_room(reader_.table, use);
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
        reader_.report(at(kReadme, from.line) + ": the arrows run in a cycle: " + cycle + back_to +
                       "/");
    }

    const Reader &reader_;
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

} // namespace

Table read_table(const Lines &readme, std::vector<std::string> *violations) {
    Reader reader{{}, violations};
    parse_table(readme, &reader);
    check_known_uses(reader);
    CycleFinder(reader).run();
    return reader.table;
}

const Room *find_room(const Table &table, const std::string &name) {
    for (const Room &room : table)
        if (room.name == name)
            return &room;
    return nullptr;
}

Arrows::Arrows(const Table &table) {
    for (const Room &room : table)
        reach_[room.name] = reachable(table, room.name);
}

bool Arrows::may_use(const std::string &room, const std::string &other) const {
    return reach_.at(room).count(other) > 0;
}

} // namespace rcsim::rooms::detail
