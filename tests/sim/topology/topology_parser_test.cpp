// The topology parser alone: the declarations' fields and every error with
// its line and column, written by hand from sim/topology/README.md.
#include "topology_parser.hpp"

#include <gtest/gtest.h>

#include <cerrno>

namespace {

using rcsim::topology::Node;
using rcsim::topology::NodeKind;
using rcsim::topology::Topology;
using rcsim::topology::TopologyError;

Topology parse_ok(const std::string &text) {
    Topology t;
    TopologyError e;
    EXPECT_EQ(rcsim::topology::parse_topology(text, "t.topo", &t, &e), 0) << e.to_string();
    return t;
}

// The error as a person reads it, "file:line:col: message".
std::string parse_error(const std::string &text) {
    Topology t;
    TopologyError e;
    if (rcsim::topology::parse_topology(text, "t.topo", &t, &e) != -EINVAL)
        return "(no error)";
    return e.to_string();
}

void expect_node(const Node &n, NodeKind kind, const char *name, unsigned line, int parent,
                 int port) {
    EXPECT_EQ(n.kind, kind) << name;
    EXPECT_EQ(n.name, name);
    EXPECT_EQ(n.line, line) << name;
    EXPECT_EQ(n.parent, parent) << name;
    EXPECT_EQ(n.parent_port, port) << name;
}

TEST(TopologyParser, ReadsEveryDeclaration) {
    const Topology t = parse_ok("# two devices on two root ports, one behind a switch\n"
                                "root-port rp1\n"
                                "root-port rp2   # trailing comment\n"
                                "\n"
                                "root-port rp3\r\n"
                                "switch sw0 on rp3 ports 4\n"
                                "device nic on rp1 server \"dmacopy --dma-mode twin\"\n"
                                "\tdevice nvme on rp2 server \"regs\"\n"
                                "device d_0 on sw0.3 server \"regs # not a comment\"\n");
    ASSERT_EQ(t.nodes.size(), 7u);
    expect_node(t.nodes[0], NodeKind::RootPort, "rp1", 2, -1, -1);
    expect_node(t.nodes[1], NodeKind::RootPort, "rp2", 3, -1, -1);
    expect_node(t.nodes[2], NodeKind::RootPort, "rp3", 5, -1, -1);
    expect_node(t.nodes[3], NodeKind::Switch, "sw0", 6, 2, -1);
    EXPECT_EQ(t.nodes[3].ports, 4u);
    expect_node(t.nodes[4], NodeKind::Device, "nic", 7, 0, -1);
    EXPECT_EQ(t.nodes[4].server, "dmacopy --dma-mode twin");
    expect_node(t.nodes[5], NodeKind::Device, "nvme", 8, 1, -1);
    EXPECT_EQ(t.nodes[5].server, "regs");
    expect_node(t.nodes[6], NodeKind::Device, "d_0", 9, 3, 3);
    EXPECT_EQ(t.nodes[6].server, "regs # not a comment");
}

TEST(TopologyParser, SwitchOnASwitchPortAndLongestName) {
    const std::string name32(32, 'z');
    const Topology t = parse_ok("root-port a\n"
                                "switch up on a ports 1\n"
                                "switch down on up.0 ports 8\n"
                                "device " +
                                name32 + " on down.7 server \"x\"\n");
    ASSERT_EQ(t.nodes.size(), 4u);
    expect_node(t.nodes[2], NodeKind::Switch, "down", 3, 1, 0);
    EXPECT_EQ(t.nodes[2].ports, 8u);
    expect_node(t.nodes[3], NodeKind::Device, name32.c_str(), 4, 2, 7);
}

TEST(TopologyParser, WordsAndNames) {
    EXPECT_EQ(parse_error("root-port rp1\nbridge b\n"),
              "t.topo:2:1: unknown declaration 'bridge' (root-port, switch or device)");
    // "root-port " is 10 characters: the name starts in column 11.
    EXPECT_EQ(parse_error("root-port RP1\n"),
              "t.topo:1:11: bad name 'RP1': 1 to 32 characters of a-z, 0-9 and _");
    EXPECT_EQ(parse_error("root-port " + std::string(33, 'a') + "\n"),
              "t.topo:1:11: bad name '" + std::string(33, 'a') +
                  "': 1 to 32 characters of a-z, 0-9 and _");
    EXPECT_EQ(parse_error("root-port rp-1\n"),
              "t.topo:1:11: bad name 'rp-1': 1 to 32 characters of a-z, 0-9 and _");
    EXPECT_EQ(parse_error("root-port\n"), "t.topo:1:10: missing a name");
    EXPECT_EQ(parse_error("root-port rp1 extra\n"),
              "t.topo:1:15: unexpected 'extra' after the declaration");
    EXPECT_EQ(parse_error("root-port rp1\ndevice a at rp1 server \"x\"\n"),
              "t.topo:2:10: expected 'on', not 'at'");
    // "device a on rp1" is 15 characters: the missing word is at column 16.
    EXPECT_EQ(parse_error("root-port rp1\ndevice a on rp1\n"), "t.topo:2:16: missing 'server'");
    EXPECT_EQ(parse_error("root-port rp1\ndevice a on rp1 server regs\n"),
              "t.topo:2:24: the server's command line goes in quotes");
    EXPECT_EQ(parse_error("root-port rp1\ndevice a on rp1 server \" \"\n"),
              "t.topo:2:24: empty server command line");
    EXPECT_EQ(parse_error("root-port rp1\ndevice a on rp1 server \"regs\n"),
              "t.topo:2:24: unterminated string");
    EXPECT_EQ(parse_error("root-port rp1\ndevice a on rp1 server \"regs\"x\n"),
              "t.topo:2:30: expected a blank after the string");
    EXPECT_EQ(parse_error("root-port rp1\n# nothing else\n"), "t.topo: the topology has no device");
    EXPECT_EQ(parse_error(""), "t.topo: the topology has no device");
}

TEST(TopologyParser, DuplicateNames) {
    EXPECT_EQ(parse_error("root-port rp1\nroot-port rp1\n"),
              "t.topo:2:11: 'rp1' is already declared on line 1");
    // Names are one namespace: a device cannot take a root port's name.
    EXPECT_EQ(parse_error("root-port rp1\ndevice rp1 on rp1 server \"x\"\n"),
              "t.topo:2:8: 'rp1' is already declared on line 1");
}

TEST(TopologyParser, Parents) {
    // "device d on " is 12 characters: the parent is at column 13.
    EXPECT_EQ(parse_error("root-port rp1\ndevice d on rp2 server \"x\"\n"),
              "t.topo:2:13: unknown parent 'rp2' (declare it on a line above)");
    // A parent comes first, so a cycle cannot be written.
    EXPECT_EQ(parse_error("device d on rp1 server \"x\"\nroot-port rp1\n"),
              "t.topo:1:13: unknown parent 'rp1' (declare it on a line above)");
    EXPECT_EQ(parse_error("root-port r\nswitch a on b.0 ports 1\nswitch b on a.0 ports 1\n"),
              "t.topo:2:13: unknown parent 'b' (declare it on a line above)");
    EXPECT_EQ(
        parse_error("root-port rp1\ndevice a on rp1 server \"x\"\ndevice b on a server \"x\"\n"),
        "t.topo:3:13: 'a' is a device: only root ports and switch ports take a device or "
        "a switch");
    EXPECT_EQ(parse_error("root-port rp1\ndevice a on rp1.0 server \"x\"\n"),
              "t.topo:2:13: 'rp1' is a root port: name it without a port");
    EXPECT_EQ(parse_error("root-port rp1\nswitch sw on rp1 ports 2\ndevice a on sw server \"x\"\n"),
              "t.topo:3:13: 'sw' is a switch: name its port as sw.K (K in 0..1)");
    EXPECT_EQ(parse_error("root-port rp1\nswitch sw on rp1 ports 2\ndevice a on sw.2 server "
                          "\"x\"\n"),
              "t.topo:3:13: switch 'sw' has ports 0..1, not 2");
    EXPECT_EQ(parse_error("root-port rp1\nswitch sw on rp1 ports 2\ndevice a on sw.x server "
                          "\"x\"\n"),
              "t.topo:3:13: 'sw' is a switch: name its port as sw.K (K in 0..1)");
}

TEST(TopologyParser, OneDeviceOrSwitchAPort) {
    EXPECT_EQ(parse_error("root-port rp1\ndevice a on rp1 server \"x\"\ndevice b on rp1 server "
                          "\"x\"\n"),
              "t.topo:3:13: rp1 already holds 'a' (line 2): one device or switch a port");
    EXPECT_EQ(parse_error("root-port rp1\ndevice a on rp1 server \"x\"\nswitch s on rp1 ports 1\n"),
              "t.topo:3:13: rp1 already holds 'a' (line 2): one device or switch a port");
    EXPECT_EQ(parse_error("root-port rp1\nswitch sw on rp1 ports 2\ndevice a on sw.1 server "
                          "\"x\"\ndevice b on sw.1 server \"x\"\n"),
              "t.topo:4:13: sw.1 already holds 'a' (line 3): one device or switch a port");
}

TEST(TopologyParser, SwitchPorts) {
    // "switch sw on rp1 ports " is 23 characters: the count is at column 24.
    EXPECT_EQ(parse_error("root-port rp1\nswitch sw on rp1 ports 9\n"),
              "t.topo:2:24: a switch has 1..8 ports, not '9'");
    EXPECT_EQ(parse_error("root-port rp1\nswitch sw on rp1 ports 0\n"),
              "t.topo:2:24: a switch has 1..8 ports, not '0'");
    EXPECT_EQ(parse_error("root-port rp1\nswitch sw on rp1 ports 10\n"),
              "t.topo:2:24: a switch has 1..8 ports, not '10'");
    EXPECT_EQ(parse_error("root-port rp1\nswitch sw on rp1 ports\n"),
              "t.topo:2:23: missing the number of ports (1..8)");
}

TEST(TopologyParser, NinthRootPort) {
    std::string text;
    for (int k = 1; k <= 9; ++k)
        text += "root-port rp" + std::to_string(k) + "\n";
    EXPECT_EQ(parse_error(text), "t.topo:9:1: more than 8 root ports");
}

TEST(TopologyParser, ThirtyThirdDevice) {
    // Five root ports with an 8-port switch each (lines 1..10) give 40
    // ports; devices d0..d32 take lines 11..43, and d32 is the 33rd.
    std::string text;
    for (int k = 0; k < 5; ++k)
        text += "root-port r" + std::to_string(k) + "\nswitch s" + std::to_string(k) + " on r" +
                std::to_string(k) + " ports 8\n";
    for (int d = 0; d <= 32; ++d)
        text += "device d" + std::to_string(d) + " on s" + std::to_string(d / 8) + "." +
                std::to_string(d % 8) + " server \"regs\"\n";
    EXPECT_EQ(parse_error(text), "t.topo:43:1: more than 32 devices");
}

TEST(TopologyParser, ThirtyThirdSwitch) {
    // A chain of one-port switches below rp: s0 on line 2, s32 (the 33rd)
    // on line 34.
    std::string text = "root-port rp\nswitch s0 on rp ports 1\n";
    for (int k = 1; k <= 32; ++k)
        text += "switch s" + std::to_string(k) + " on s" + std::to_string(k - 1) + ".0 ports 1\n";
    EXPECT_EQ(parse_error(text), "t.topo:34:1: more than 32 switches");
}

} // namespace
