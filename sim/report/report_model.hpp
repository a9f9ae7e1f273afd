// What `rcsim report` draws, worked out from a trace's records: one row per
// message, interrupt, mapped access and decision, in trace order; the TLPs
// and host accesses folded under the row they belong to; commands paired
// with their replies per socket; crossings and misreads found; the findings
// worded for the banner. The folding rule (README.md "rcsim report"):
//  - a host request and a TLP request going down belong to the next command
//    the client sends (the REGION_READ/WRITE or config access the bridge
//    made of them) or the next mapped access (served without a message);
//  - a TLP request coming up belongs to the latest DMA command the server
//    sent;
//  - a completion goes with the request of its tag (opposite direction), a
//    host response with the request of its id; an interrupt is a row;
//  - a fabric hop (several devices) goes under the latest row;
//  - whatever is still waiting at the end folds under one last row.
#pragma once

#include "trace_reader.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace rcsim {

enum class RowKind { Message, Decision, Irq, Mapped, Rest };

struct ReportRow {
    RowKind kind = RowKind::Message;
    size_t record = 0;          // index into the records (Rest: its first folded one)
    std::vector<size_t> folded; // records folded under this row, in trace order
    // Message rows.
    bool main_socket = true, from_client = true, reply = false;
    std::string sock = "main"; // main, twin, map0..map7 (the trace's sock)
    std::string dev;           // several devices: whose message (the trace's dev)
    long partner = -1;         // the row of its command or reply, -1: none
    // The other side's command on this socket still unanswered when this
    // command was sent (-1: none). From the client: a crossing (the server
    // waits for a reply and reads a command); from the server: nested.
    long crossed_row = -1;
    bool crossing = false;
    bool misread = false; // a reply that answers no outstanding command
    // Decision rows: chosen is not the first option (a deviation from fifo).
    bool deviation = false;
};

struct ReportModel {
    std::vector<ReportRow> rows;
    std::vector<std::string> findings; // faults, one line each, worst first; plain text
    std::vector<std::string> remarks;  // worth knowing, not faults
    size_t messages = 0, decisions = 0, deviations = 0, interrupts = 0;
    size_t crossings = 0, nested = 0, misreads = 0, unanswered = 0;
};

ReportModel build_report_model(const std::vector<TraceRecord> &records);

// "2.092 us": simulated picoseconds for people (GTKWave shows the same ps).
std::string format_sim_time(uint64_t t_ps);

} // namespace rcsim
