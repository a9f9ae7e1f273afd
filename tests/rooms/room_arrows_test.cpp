// The room-arrows check on small hand-made trees (three rooms a -> b -> c in
// a temp dir, one thing broken per test, the exact report expected), the
// room-arrows program's output and exit codes, and last the real tree.
#include "room_arrows.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace fs = std::filesystem;
using rcsim::rooms::ArrowCheck;
using rcsim::rooms::check_room_arrows;
using Lines = std::vector<std::string>;

namespace {

// A source tree in a fresh directory under $TMPDIR (or /tmp), removed with it.
class TempTree {
  public:
    TempTree() {
        const char *tmp = std::getenv("TMPDIR");
        std::string name = std::string(tmp && *tmp ? tmp : "/tmp") + "/rooms_XXXXXX";
        if (!mkdtemp(name.data()))
            throw std::runtime_error("mkdtemp " + name + " failed");
        root_ = name;
    }
    ~TempTree() {
        std::error_code ignored;
        fs::remove_all(root_, ignored);
    }
    TempTree(const TempTree &) = delete;
    TempTree &operator=(const TempTree &) = delete;

    void write(const std::string &rel, const std::string &text) const {
        fs::path path = root_ / rel;
        fs::create_directories(path.parent_path());
        std::ofstream(path) << text;
    }

    const fs::path &root() const { return root_; }

  private:
    fs::path root_;
};

// The heading is line 5, the table's header line 9, its rows from line 11.
std::string readme(const Lines &rows) {
    std::string text = "# sim/\n\nWords before.\n\n## Rooms and arrows\n\nThe arrows.\n\n"
                       "| room | its job | may use |\n|---|---|---|\n";
    for (const std::string &row : rows)
        text += row + "\n";
    return text + "\n## After the table\n\n| not | this | one |\n";
}

const Lines kThreeRows = {
    "| `a/` | the top | `b/` |",
    "| `b/` | the middle | `c/` |",
    "| `c/` | the bottom | \u2014 |",
};

// a uses b, b uses c; every include and link runs down the arrows. Six
// sources, all of which a test may overwrite to break one thing.
class ThreeRooms : public ::testing::Test {
  protected:
    void SetUp() override {
        tree_.write("sim/README.md", readme(kThreeRows));
        tree_.write("sim/CMakeLists.txt", "foreach(room a b c)\n  add_subdirectory(${room})\n"
                                          "endforeach()\n");
        tree_.write("sim/a/CMakeLists.txt",
                    "rcsim_room(a a.cpp)\ntarget_link_libraries(rcsim_a PUBLIC rcsim_b)\n");
        tree_.write("sim/a/a.hpp", "#pragma once\n#include \"b.hpp\"\n");
        tree_.write("sim/a/a.cpp", "#include \"a.hpp\"\n\n#include <string>\n");
        tree_.write("sim/b/CMakeLists.txt",
                    "rcsim_room(b b.cpp)\ntarget_link_libraries(rcsim_b PUBLIC rcsim_c)\n");
        tree_.write("sim/b/b.hpp", "#pragma once\n#include \"c.hpp\"\n");
        tree_.write("sim/b/b.cpp", "#include \"b.hpp\"\n");
        tree_.write("sim/c/CMakeLists.txt", "rcsim_room(c c.cpp)\n");
        tree_.write("sim/c/c.hpp", "#pragma once\n");
        tree_.write("sim/c/c.cpp", "#include \"c.hpp\"\n");
    }

    Lines violations() const {
        ArrowCheck check = check_room_arrows(tree_.root());
        EXPECT_EQ(check.error, "");
        return check.violations;
    }

    TempTree tree_;
};

class Includes : public ThreeRooms {};
class Table : public ThreeRooms {};
class Folders : public ThreeRooms {};
class Cmake : public ThreeRooms {};
class Program : public ThreeRooms {};

} // namespace

// ---- includes --------------------------------------------------------------

TEST_F(Includes, CleanTreePasses) {
    ArrowCheck check = check_room_arrows(tree_.root());
    EXPECT_EQ(check.error, "");
    EXPECT_EQ(check.violations, Lines{});
    EXPECT_EQ(check.rooms, 3u);
    EXPECT_EQ(check.sources, 6u);
}

TEST_F(Includes, WrongWayIncludeIsReportedWithFileAndLine) {
    tree_.write("sim/b/b.hpp", "#pragma once\n#include \"a.hpp\"\n");
    tree_.write("sim/c/c.cpp", "#include \"c.hpp\"\n\n  #  include \"b.hpp\" // spaced out\n");
    EXPECT_EQ(violations(), (Lines{
                                "sim/b/b.hpp:2: includes a.hpp (a/), which b/ may not use",
                                "sim/c/c.cpp:3: includes b.hpp (b/), which c/ may not use",
                            }));
}

TEST_F(Includes, TransitiveIncludeIsAllowed) {
    tree_.write("sim/a/a.cpp", "#include \"a.hpp\"\n#include \"c.hpp\"\n");
    EXPECT_EQ(violations(), Lines{});
}

TEST_F(Includes, OutsideHeaderIsAllowed) {
    tree_.write("sim/c/c.cpp", "#include \"c.hpp\"\n#include \"vfio_user/client.h\"\n"
                               "#include \"Vrcsim_cc.h\"\n#include \"probe_print.h\"\n");
    EXPECT_EQ(violations(), Lines{});
}

TEST_F(Includes, AngleIncludeOfARoomsHeaderIsNotRead) {
    // Angle includes are the system's; a room's header never comes that way
    // (the room libraries do not put their folders on a system path).
    tree_.write("sim/c/c.cpp", "#include \"c.hpp\"\n#include <a.hpp>\n");
    EXPECT_EQ(violations(), Lines{});
}

TEST_F(Includes, PathOutOfTheRoomIsReported) {
    // b is a room a may use, but only by name, never by path.
    tree_.write("sim/a/a.cpp", "#include \"a.hpp\"\n#include \"../b/b.hpp\"\n");
    EXPECT_EQ(violations(),
              Lines{"sim/a/a.cpp:2: includes ../b/b.hpp, which reaches outside its room by path"});
}

TEST_F(Includes, PathFromASharedRootIsReported) {
    tree_.write("sim/a/a.cpp", "#include \"b/b.hpp\"\n");
    EXPECT_EQ(violations(),
              Lines{"sim/a/a.cpp:1: includes b/b.hpp, which reaches outside its room by path"});
}

TEST_F(Includes, PathsInsideTheRoomAreAllowed) {
    tree_.write("sim/a/detail/inner.hpp", "#pragma once\n#include \"../a.hpp\"\n");
    tree_.write("sim/a/a.cpp", "#include \"a.hpp\"\n#include \"detail/inner.hpp\"\n");
    EXPECT_EQ(violations(), Lines{});
}

// ---- the table -------------------------------------------------------------

TEST_F(Table, CycleIsReported) {
    tree_.write("sim/README.md",
                readme({kThreeRows[0], kThreeRows[1], "| `c/` | the bottom | `a/` |"}));
    EXPECT_EQ(violations(),
              Lines{"sim/README.md:13: the arrows run in a cycle: a/ -> b/ -> c/ -> a/"});
}

TEST_F(Table, MayUseOfAnUnknownRoomIsReported) {
    tree_.write("sim/README.md",
                readme({kThreeRows[0], kThreeRows[1], "| `c/` | the bottom | `d/` |"}));
    EXPECT_EQ(violations(), Lines{"sim/README.md:13: c/ may use d/, which has no row"});
}

TEST_F(Table, MalformedRoomCellIsReported) {
    // c loses its row, so b's arrow and c's folder are reported too.
    tree_.write("sim/README.md",
                readme({kThreeRows[0], kThreeRows[1], "| c/ | the bottom | \u2014 |"}));
    EXPECT_EQ(violations(),
              (Lines{
                  "sim/README.md:13: malformed row in the rooms table: room \"c/\" is "
                  "not a folder in backticks (`name/`)",
                  "sim/README.md:12: b/ may use c/, which has no row",
                  "sim/c/CMakeLists.txt: folder sim/c/ has no row in sim/README.md",
              }));
}

TEST_F(Table, MalformedMayUseIsReported) {
    tree_.write("sim/README.md", readme({"| `a/` | the top | b |", kThreeRows[1], kThreeRows[2]}));
    EXPECT_EQ(violations(), (Lines{
                                "sim/README.md:11: malformed row in the rooms table: may use \"b\" "
                                "is neither \u2014 nor a comma-separated list of `name/`",
                                "sim/a/CMakeLists.txt: folder sim/a/ has no row in sim/README.md",
                            }));
}

TEST_F(Table, RowWithTooFewCellsIsReported) {
    tree_.write("sim/README.md", readme({kThreeRows[0], kThreeRows[1], kThreeRows[2], "| `d/` |"}));
    EXPECT_EQ(violations(), Lines{"sim/README.md:14: malformed row in the rooms table: 1 cell(s) "
                                  "where the header has 3"});
}

TEST_F(Table, SecondRowOfARoomIsReported) {
    Lines rows = kThreeRows;
    rows.push_back("| `b/` | the middle again | \u2014 |");
    tree_.write("sim/README.md", readme(rows));
    EXPECT_EQ(violations(),
              Lines{"sim/README.md:14: room b/ has a second row (the first is line 12)"});
}

TEST_F(Table, MissingHeadingIsReported) {
    tree_.write("sim/README.md", "# sim/\n\n| room | its job | may use |\n|---|---|---|\n");
    Lines found = violations();
    ASSERT_EQ(found.size(), 4u);
    EXPECT_EQ(found[0], "sim/README.md: no \"## Rooms and arrows\" heading");
    EXPECT_EQ(found[1], "sim/a/CMakeLists.txt: folder sim/a/ has no row in sim/README.md");
}

// ---- folders ---------------------------------------------------------------

TEST_F(Folders, FolderWithNoRowIsReported) {
    tree_.write("sim/d/CMakeLists.txt", "rcsim_room(d d.cpp)\n");
    tree_.write("sim/notes/README.md", "A folder without a CMakeLists.txt is no room.\n");
    EXPECT_EQ(violations(),
              Lines{"sim/d/CMakeLists.txt: folder sim/d/ has no row in sim/README.md"});
}

TEST_F(Folders, RowWithNoFolderIsReported) {
    Lines rows = kThreeRows;
    rows.push_back("| `d/` | not yet cut | `c/` |");
    tree_.write("sim/README.md", readme(rows));
    EXPECT_EQ(violations(),
              Lines{"sim/README.md:14: room d/ has a row but sim/d/ is not a folder"});
}

// ---- CMake -----------------------------------------------------------------

TEST_F(Cmake, WrongWayLinkIsReportedWithItsLine) {
    tree_.write("sim/c/CMakeLists.txt", "rcsim_room(c c.cpp)\n"
                                        "target_link_libraries(rcsim_c\n"
                                        "  PUBLIC Threads::Threads\n"
                                        "         rcsim_a)\n");
    EXPECT_EQ(violations(),
              Lines{"sim/c/CMakeLists.txt:4: links rcsim_a (a/), which c/ may not use"});
}

TEST_F(Cmake, NamesThatAreNoRoomsAndCommentsAreIgnored) {
    tree_.write(
        "sim/c/CMakeLists.txt",
        "# target_link_libraries(rcsim_c PUBLIC rcsim_a) -- once\n"
        "rcsim_room(c c.cpp)\n"
        "add_library(rcsim_a_rtl STATIC)\n"
        "target_link_libraries(rcsim_c PUBLIC rcsim_a_rtl PkgConfig::JSONC Threads::Threads\n"
        "                      vfio_user_client) # rcsim_b\n"
        "#[[ target_link_libraries(rcsim_c PUBLIC rcsim_b) ]]\n"
        "message(STATUS \"target_link_libraries(rcsim_c rcsim_a)\")\n");
    EXPECT_EQ(violations(), Lines{});
}

TEST_F(Cmake, LinkInsideAGeneratorExpressionIsRead) {
    tree_.write("sim/b/CMakeLists.txt", "rcsim_room(b b.cpp)\n"
                                        "target_link_libraries(rcsim_b PUBLIC rcsim_c\n"
                                        "  PRIVATE $<LINK_ONLY:rcsim_a>)\n");
    EXPECT_EQ(violations(),
              Lines{"sim/b/CMakeLists.txt:3: links rcsim_a (a/), which b/ may not use"});
}

TEST_F(Cmake, SharedIncludeDirIsReported) {
    tree_.write("sim/b/CMakeLists.txt",
                "rcsim_room(b b.cpp)\n"
                "target_link_libraries(rcsim_b PUBLIC rcsim_c)\n"
                "target_include_directories(rcsim_b PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}\n"
                "                           ${CMAKE_SOURCE_DIR}/sim)\n");
    EXPECT_EQ(violations(), Lines{"sim/b/CMakeLists.txt:4: target_include_directories names "
                                  "${CMAKE_SOURCE_DIR}/sim, a folder other than the room's own "
                                  "(${CMAKE_CURRENT_SOURCE_DIR})"});
}

// ---- the program -----------------------------------------------------------

namespace {

struct Outcome {
    int exit_code = -1; // -1: did not exit normally
    std::string output; // stdout and stderr
};

Outcome room_arrows(const std::string &args) {
    std::string command = std::string("'") + ROOM_ARROWS_PATH + "' " + args + " 2>&1";
    Outcome outcome;
    FILE *pipe = popen(command.c_str(), "r");
    if (!pipe)
        return outcome;
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;)
        outcome.output.append(buf, n);
    int status = pclose(pipe);
    if (status != -1 && WIFEXITED(status))
        outcome.exit_code = WEXITSTATUS(status);
    return outcome;
}

std::string quoted(const fs::path &path) {
    return "'" + path.string() + "'";
}

} // namespace

TEST_F(Program, CleanTreeExitsZero) {
    Outcome outcome = room_arrows(quoted(tree_.root()));
    EXPECT_EQ(outcome.exit_code, 0);
    EXPECT_EQ(outcome.output, "room arrows: 3 rooms, 6 sources, clean\n");
}

TEST_F(Program, ViolationsArePrintedAndExitOne) {
    tree_.write("sim/c/c.cpp", "#include \"c.hpp\"\n#include \"a.hpp\"\n");
    Outcome outcome = room_arrows(quoted(tree_.root()));
    EXPECT_EQ(outcome.exit_code, 1);
    EXPECT_EQ(outcome.output, "sim/c/c.cpp:2: includes a.hpp (a/), which c/ may not use\n"
                              "room arrows: 3 rooms, 6 sources, 1 violation\n");
}

TEST_F(Program, UsageAndUnreadableTreeExitTwo) {
    Outcome usage = room_arrows("");
    EXPECT_EQ(usage.exit_code, 2);
    EXPECT_EQ(usage.output, "usage: room-arrows <source-root>\n");
    Outcome missing = room_arrows(quoted(tree_.root() / "nowhere"));
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_EQ(missing.output, "room-arrows: cannot read " +
                                  (tree_.root() / "nowhere/sim/README.md").string() + "\n");
}

// ---- the real tree ---------------------------------------------------------

TEST(Arrows, SourceTreeFollowsTheTable) {
    ArrowCheck check = check_room_arrows(ROOMS_SOURCE_ROOT);
    ASSERT_EQ(check.error, "");
    // A table that lost its rows, or a tree with no sources, would pass
    // without having checked anything.
    EXPECT_GE(check.rooms, 2u);
    EXPECT_GT(check.sources, 0u);
    std::string listing;
    for (const std::string &violation : check.violations)
        listing += "  " + violation + "\n";
    EXPECT_TRUE(check.violations.empty())
        << check.violations.size() << " violations of the arrows in sim/README.md:\n"
        << listing;
}
