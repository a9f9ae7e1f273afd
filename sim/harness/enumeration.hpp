// What enumeration found and set up in one device (enumerator.cpp): IDs,
// BARs, capabilities, the link and the interrupt kind.
#pragma once

#include "bar_map.hpp"
#include "bridge.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace rcsim {

// One extended capability as the walk from 0x100 found it.
struct ExtCap {
    uint16_t offset = 0;
    uint16_t id = 0;     // header bits 15:0
    uint8_t version = 0; // bits 19:16
};

struct Enumeration {
    uint16_t vendor_id = 0, device_id = 0;
    uint32_t class_code = 0;
    uint8_t interrupt_pin = 0;
    std::array<Bar, BarMap::kBars> bars{};
    Bar rom; // the expansion ROM BAR (0x30), enabled when present
    unsigned pcie_cap = 0, msi_cap = 0, msix_cap = 0;
    // 4096 with a PCIe capability whose extended space answers, else 256
    // (conventional PCI: no extended capabilities to walk).
    unsigned config_size = 256;
    std::vector<ExtCap> ext_caps;
    unsigned mps = 128, mrrs = 512;
    IrqMode irq_mode = IrqMode::None;
    unsigned irq_vectors = 0;
    unsigned msix_table_bar = 0, msix_pba_bar = 0;
    uint64_t msix_table_offset = 0, msix_pba_offset = 0;
    // Things enumeration accepted but a user should know (e.g. an I/O BAR
    // larger than the 256 bytes the PCI spec recommends).
    std::vector<std::string> notes;
};

} // namespace rcsim
