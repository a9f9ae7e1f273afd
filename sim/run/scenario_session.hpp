// One scenario from file to outcome: parse it, set up the harness (server,
// enumeration, waveform, trace), run it with a progress line, print the
// summary, close the outputs. SystemC elaborates once per process, so a
// process runs one session; scenario_child.cpp runs each in a fork.
#pragma once

#include "harness.hpp"

#include <string>

namespace rcsim {

struct SessionOptions {
    std::string server; // command line, or empty to connect to `socket`
    std::string socket;
    std::string wave, trace, perfetto, decisions; // output files, empty: none
    std::string html;                             // rcsim report's page of the run
    bool trace_for_html_only = false; // `trace` was not asked for: removed after the page
    IrqPreference irq = IrqPreference::Auto;
    bool no_twin = false;
    // Do not offer a started server the idle announcement (/proc only).
    bool no_idle_announce = false;
    ClientStyle client = ClientStyle::Async;
    // Empty: HarnessConfig's default (one 16 MiB message window).
    std::vector<MemWindow> dma_windows;
    // Where enumeration places I/O BARs (HarnessConfig::io_window_*).
    uint32_t io_window_base = HarnessConfig{}.io_window_base;
    uint32_t io_window_size = HarnessConfig{}.io_window_size;
    // Mapped BAR areas or messages for every MemRd/MemWr (HarnessConfig).
    BarAccess bar_access = BarAccess::Mapping;
};

struct Outcome {
    int status = 0; // 0 passed, 1 failed expectation, 2 could not run
    double seconds = 0;
    std::string message; // one line
    std::string details; // the whole report
};

// Runs in this process, which must not have elaborated SystemC yet.
Outcome run_scenario(const SessionOptions &opt, const std::string &file);
// Runs in a forked child and returns what it reported.
Outcome run_scenario_in_child(const SessionOptions &opt, const std::string &file);

} // namespace rcsim
