// One device of the harness: its vfio-user server and everything the
// harness keeps per device (client, bridge, admission, BARs as enumerated,
// interrupts consumed). The single-device harness has one; a topology one
// per device (issue 20). Internal to harness/: users reach a device through
// Harness's calls.
#pragma once

#include "admission.hpp"
#include "bar_map.hpp"
#include "bar_mappings.hpp"
#include "bridge.hpp"
#include "dma_refusals.hpp"
#include "dma_reply_gate.hpp"
#include "enumeration.hpp"
#include "idle_channel.hpp"
#include "server_process.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace rcsim {

class Harness;

struct HarnessDevice {
    Harness *harness = nullptr; // the client's callbacks find their harness here
    std::string name;           // "" for the single device, else the topology's name
    uint16_t bdf = 0;
    BarMap bars;
    Enumeration enumeration;
    std::unique_ptr<ServerProcess> server;
    std::string socket_dir, socket_path;
    vuc_ctx *ctx = nullptr;
    // Outlives bridge, which serves accesses from it.
    std::unique_ptr<BarMappings> mappings;
    std::unique_ptr<Bridge> bridge;
    std::unique_ptr<Admission> admission;
    // The idle announcement's page offered to the server we started
    // (HarnessConfig::idle_announce); none for a server we connected to.
    std::unique_ptr<IdleChannel> idle;
    std::unique_ptr<DmaReplyGate> dma_gate;
    std::vector<uint64_t> irq_consumed;
    uint64_t intx_consumed = 0;
    std::unique_ptr<DmaRefusals> refusals;
    std::vector<std::string> unmapped_windows; // configured windows unmapped at run time
    // DWs of the host's posted writes handed to the root port; the bridge
    // counts those it took (Bridge::posted_dws_taken).
    uint64_t posted_dws_sent = 0;
    std::map<uint16_t, uint8_t> cfg_written; // every config byte the host wrote
    // What the bridges and refusal counters of servers detached by a
    // migration counted (counters() adds the attached one's).
    BridgeCounters carried;
    uint64_t carried_refused = 0;
};

} // namespace rcsim
