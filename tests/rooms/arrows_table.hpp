// The rooms table of sim/README.md and the graph its arrows draw. Reading it
// reports what is wrong with the table itself; the checks of the tree then
// ask it who may use whom.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "text.hpp"

namespace rcsim::rooms::detail {

inline constexpr char kReadme[] = "sim/README.md";

struct Room {
    std::string name;
    std::vector<std::string> uses;
    std::size_t line = 0; // of its row in the README
};

// Rooms in table order, which is also the order violations come out in.
using Table = std::vector<Room>;

// The rooms of the README's lines. A malformed or second row, a "may use"
// naming a room without a row, and a cycle are added to violations; the
// table keeps every row that could be read, so the tree is still checked.
Table read_table(const Lines &readme, std::vector<std::string> *violations);

const Room *find_room(const Table &table, const std::string &name);

// A room may use itself, the rooms its row names and every room they reach.
class Arrows {
  public:
    explicit Arrows(const Table &table);

    bool may_use(const std::string &room, const std::string &other) const;

  private:
    std::map<std::string, std::set<std::string>> reach_; // a room, and all it may reach
};

} // namespace rcsim::rooms::detail
