// `rcsim explore --matrix`: the #279 design space as one experiment. For
// every DMA mode of a model (the server started as `MODEL --dma-mode M`:
// legacy, queue, async, twin, map-socket: the last with every message window
// on a DMA socket of its own) and every client style (async, sync), the
// race scenario is explored exhaustively (a fresh server per run, so every
// schedule within the bound runs once), and one table gives per cell the
// schedules explored, the failures by category (failure_category.hpp), the
// peak bytes the server held in its DMA queue ("vus: DMA queue peak" on its
// stderr, the largest of any run) and the schedules per second. The
// queue-size scenarios run in queue mode with the async client, for the
// peaks alone.
#pragma once

#include "client_style.hpp"
#include "explore.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace rcsim {

struct MatrixOptions {
    std::vector<std::string> server_argv; // the model; "--dma-mode M" is appended
    std::string scenario;                 // the race
    std::vector<std::string> queue_scenarios;
    std::vector<std::string> modes{"legacy", "queue", "async", "twin", "map-socket"};
    std::vector<ClientStyle> clients{ClientStyle::Async, ClientStyle::Sync};
    unsigned bound = 2; // exhaustive: deviations from fifo per schedule
    size_t jobs = 2;
    std::string out_dir; // a directory per cell for its failure logs
    bool progress = false;
    std::chrono::milliseconds run_limit{60000};
};

struct MatrixCell {
    std::string mode;
    ClientStyle client = ClientStyle::Async;
    std::string scenario; // the file name
    ExploreSummary summary;
    std::string error; // the scenario could not be loaded
    size_t count(const std::string &category) const {
        const auto it = summary.categories.find(category);
        return it == summary.categories.end() ? 0 : it->second;
    }
};

struct MatrixResult {
    std::vector<MatrixCell> cells;       // mode x client style on the race
    std::vector<MatrixCell> queue_cells; // queue mode on the queue-size scenarios
    double seconds = 0;
};

// Runs every cell on h (elaborated, no server attached; its client style is
// set per cell). A cell's runs fork from this process as explore's do.
MatrixResult run_matrix(Harness &h, const MatrixOptions &o);

// The tables (plain text aligned, or markdown), then per failure class of
// every cell its category, name and `replay_command LOG`.
std::string format_matrix(const MatrixResult &r, bool markdown, const std::string &replay_command);

// Cells whose runs could not run (setup errors: an unknown --dma-mode ...).
size_t matrix_errors(const MatrixResult &r);

} // namespace rcsim
