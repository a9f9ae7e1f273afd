// The rooms of sim/ and their arrows (sim/README.md, "Rooms and arrows"),
// checked against the tree: every quoted include and every link of a room
// must run along the arrows. The table is the one statement of the arrows;
// this check only reads it, so changing an arrow is a README edit.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace rcsim::rooms {

struct ArrowCheck {
    // "path:line: what is wrong", paths relative to the source root; empty
    // when the tree follows the table.
    std::vector<std::string> violations;
    std::size_t rooms = 0;   // rows of the table
    std::size_t sources = 0; // C/C++ files whose includes were read
    // Non-empty when the tree could not be read at all (no README, an
    // unreadable file): then there is no verdict, clean or not.
    std::string error;
};

ArrowCheck check_room_arrows(const std::filesystem::path &source_root);

} // namespace rcsim::rooms
