#include "room_arrows.hpp"

#include "arrows_table.hpp"
#include "cmake_scanner.hpp"
#include "text.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace rcsim::rooms {
namespace {

using namespace detail;

const char kOwnFolder[] = "${CMAKE_CURRENT_SOURCE_DIR}";

// A file inside a room's folder; rel is relative to that folder.
struct RoomFile {
    std::string room;
    std::string rel;
};

struct Context {
    fs::path root;
    Table table;
    Arrows arrows;
    std::vector<RoomFile> files;
    ArrowCheck *check = nullptr;

    void report(const std::string &text) const { check->violations.push_back(text); }
};

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
        if (cx.arrows.may_use(room, holder))
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

void check_links(const Context &cx, const std::string &room, const std::string &file,
                 const CmakeCall &call) {
    const std::string prefix = "rcsim_";
    for (const CmakeArg &arg : call.args)
        for (const std::string &name : identifiers(arg.text)) {
            if (!starts_with(name, prefix))
                continue;
            std::string other = name.substr(prefix.size());
            if (!find_room(cx.table, other) || cx.arrows.may_use(room, other))
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
        for (const CmakeCall &call : cmake_calls(read_text(file))) {
            if (call.name == "target_link_libraries")
                check_links(cx, room, shown(cx, file), call);
            if (call.name == "target_include_directories" || call.name == "include_directories")
                check_include_dirs(cx, shown(cx, file), call);
        }
    }
}

// ---- the whole check -------------------------------------------------------

void run(const fs::path &root, ArrowCheck *check) {
    Table table = read_table(split_lines(read_text(root / kReadme)), &check->violations);
    check->rooms = table.size();
    Context cx{root, table, Arrows(table), {}, check};
    check_folders(cx);
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
