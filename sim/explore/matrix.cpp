#include "matrix.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace rcsim {

namespace {

std::string base_name(const std::string &path) {
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string stem(const std::string &path) {
    std::string n = base_name(path);
    const size_t dot = n.rfind('.');
    return dot == std::string::npos ? n : n.substr(0, dot);
}

MatrixCell run_cell(Harness &h, const MatrixOptions &o, const std::string &scenario,
                    const std::string &mode, ClientStyle client) {
    MatrixCell c;
    c.mode = mode;
    c.client = client;
    c.scenario = base_name(scenario);
    RunSpec spec;
    if (load_run_spec(scenario, &spec, &c.error) < 0)
        return c;
    if (!(c.error = unexplorable(spec.program)).empty())
        return c;
    spec.server_argv = o.server_argv;
    spec.server_argv.push_back("--dma-mode");
    spec.server_argv.push_back(mode);
    h.set_client_style(client);
    // The fifth design needs the windows offered with their own sockets.
    h.set_window_sockets(mode == "map-socket");
    ExploreOptions e;
    e.strategy = "exhaustive";
    e.bound = o.bound;
    e.runs = SIZE_MAX;
    e.jobs = o.jobs;
    e.shrink = false; // the table counts; each class still gets a replay log
    e.progress = o.progress;
    e.run_limit = o.run_limit;
    e.out_dir = o.out_dir + "/" + mode + "-" + to_string(client) + "-" + stem(scenario);
    c.summary = explore(h, spec, e);
    if (o.progress)
        std::fprintf(stderr, "matrix: %s / %s / %s: %zu schedules, %zu failed\n", mode.c_str(),
                     to_string(client), c.scenario.c_str(), c.summary.runs, c.summary.failures);
    return c;
}

std::string peak_text(const MatrixCell &c) {
    return c.summary.queue_peak >= 0 ? std::to_string(c.summary.queue_peak) : "-";
}

std::string rate_text(const MatrixCell &c) {
    char b[32];
    std::snprintf(b, sizeof b, "%.1f",
                  c.summary.seconds > 0 ? double(c.summary.runs) / c.summary.seconds : 0.0);
    return b;
}

// Rows of cells -> an aligned text table or a markdown one.
std::string table(const std::vector<std::string> &head,
                  const std::vector<std::vector<std::string>> &rows, bool markdown) {
    std::vector<size_t> w(head.size(), 0);
    for (size_t i = 0; i < head.size(); ++i)
        w[i] = head[i].size();
    for (const auto &r : rows)
        for (size_t i = 0; i < r.size() && i < w.size(); ++i)
            w[i] = std::max(w[i], r[i].size());
    auto line = [&](const std::vector<std::string> &cells) {
        std::string s = markdown ? "|" : "";
        for (size_t i = 0; i < cells.size(); ++i) {
            const std::string pad(w[i] - cells[i].size(), ' ');
            // Text left, numbers right.
            const bool left = i < 2 || cells[i].empty() || !isdigit((unsigned char)cells[i][0]);
            const std::string cell = left ? cells[i] + pad : pad + cells[i];
            s += markdown ? " " + cell + " |" : (i ? "  " : "") + cell;
        }
        return s + "\n";
    };
    std::string out = line(head);
    if (markdown) {
        out += "|";
        for (size_t i = 0; i < w.size(); ++i)
            out += std::string(w[i] + 2, '-') + "|";
        out += "\n";
    }
    for (const auto &r : rows)
        out += line(r);
    return out;
}

void add_failures(const MatrixCell &c, const std::string &replay_command, std::string *out) {
    if (!c.error.empty())
        *out += "  " + c.mode + " / " + to_string(c.client) + " / " + c.scenario +
                ": cannot load the scenario: " + c.error + "\n";
    for (const std::string &e : c.summary.errors_seen)
        *out += "  " + c.mode + " / " + to_string(c.client) + " / " + c.scenario +
                ": could not run: " + e + "\n";
    for (const FailureClass &f : c.summary.classes) {
        *out += "  " + c.mode + " / " + to_string(c.client) + " / " + c.scenario + ": [" +
                f.category + "] " + std::to_string(f.count) + " run(s): " + f.name + "\n";
        if (!f.log_path.empty())
            *out += "    replay: " + replay_command + " " + f.log_path + "\n";
    }
}

} // namespace

MatrixResult run_matrix(Harness &h, const MatrixOptions &o) {
    const auto t0 = std::chrono::steady_clock::now();
    mkdir(o.out_dir.c_str(), 0755);
    MatrixResult r;
    for (const std::string &mode : o.modes)
        for (ClientStyle client : o.clients)
            r.cells.push_back(run_cell(h, o, o.scenario, mode, client));
    for (const std::string &s : o.queue_scenarios)
        r.queue_cells.push_back(run_cell(h, o, s, "queue", ClientStyle::Async));
    h.set_client_style(ClientStyle::Async);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

size_t matrix_errors(const MatrixResult &r) {
    size_t n = 0;
    for (const auto *cells : {&r.cells, &r.queue_cells})
        for (const MatrixCell &c : *cells)
            n += (c.error.empty() ? 0 : 1) + c.summary.errors;
    return n;
}

std::string format_matrix(const MatrixResult &r, bool markdown, const std::string &replay_command) {
    size_t ncat = 0;
    const char *const *cats = failure_category_names(&ncat);
    std::vector<std::string> head = {"DMA mode", "client", "schedules", "failed"};
    for (size_t i = 0; i < ncat; ++i)
        head.push_back(cats[i]);
    head.push_back("peak queued bytes");
    head.push_back("schedules/s");
    std::vector<std::vector<std::string>> rows;
    for (const MatrixCell &c : r.cells) {
        std::vector<std::string> row = {c.mode, to_string(c.client), std::to_string(c.summary.runs),
                                        std::to_string(c.summary.failures)};
        for (size_t i = 0; i < ncat; ++i)
            row.push_back(std::to_string(c.count(cats[i])));
        row.push_back(peak_text(c));
        row.push_back(c.summary.errors ? rate_text(c) + " (" + std::to_string(c.summary.errors) +
                                             " could not run)"
                                       : rate_text(c));
        rows.push_back(row);
    }
    std::string out = table(head, rows, markdown);
    if (!r.queue_cells.empty()) {
        std::vector<std::vector<std::string>> q;
        for (const MatrixCell &c : r.queue_cells)
            q.push_back({c.scenario, to_string(c.client), std::to_string(c.summary.runs),
                         std::to_string(c.summary.failures), peak_text(c)});
        out += "\nqueue mode, queue-size scenarios:\n\n";
        out +=
            table({"scenario", "client", "schedules", "failed", "peak queued bytes"}, q, markdown);
    }
    std::string fails;
    for (const auto *cells : {&r.cells, &r.queue_cells})
        for (const MatrixCell &c : *cells)
            add_failures(c, replay_command, &fails);
    if (!fails.empty())
        out += "\nfailure classes:\n" + fails;
    char tail[96];
    std::snprintf(tail, sizeof tail, "\nmatrix: %.1f s\n", r.seconds);
    return out + tail;
}

} // namespace rcsim
