#include "explore.hpp"

#include "run_forker.hpp"
#include "process_cleanup.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <cstdio>
#include <exception>

namespace rcsim {

namespace {

using Clock = std::chrono::steady_clock;

struct Planned {
    std::string policy;
    std::vector<Deviation> plan; // exhaustive: what the policy asks for
    size_t index = 0;            // its place in the unsplit level
};

// Device-reset mode: a keeper process, forked from the elaborated parent,
// starts the server and enumerates once, then forks a child per run from
// that state (DEVICE_RESET, then the scenario). After a failing run the
// keeper stops its server and exits; the next run gets a fresh keeper, so
// a broken server never leaks into the next run. One run at a time.
class Keeper {
  public:
    Keeper(Harness &h, const RunSpec &spec, const std::string &dir, std::chrono::milliseconds limit)
        : h_(h), spec_(spec), report_(dir + "/keeper.report"), limit_(limit) {}
    ~Keeper() { stop(); }

    RunReport run(const std::string &policy, const std::string &log) {
        RunReport r;
        if (pid_ < 0 && !start(&r))
            return r;
        const std::string line = policy + "\t" + log + "\n";
        char c = 0;
        if (write(to_, line.data(), line.size()) != ssize_t(line.size()) ||
            read(from_, &c, 1) != 1) {
            stop();
            r.failure_class = "the keeper process died";
            return r;
        }
        if (read_run_report(report_, &r) < 0) {
            r = RunReport{};
            r.failure_class = "run did not report";
        }
        if (c != '0')
            stop(); // it exits after a failure
        return r;
    }

  private:
    bool start(RunReport *r) {
        int down[2], up[2];
        if (pipe2(down, O_CLOEXEC) < 0 || pipe2(up, O_CLOEXEC) < 0) {
            r->failure_class = "pipe failed";
            return false;
        }
        std::fflush(stdout);
        std::fflush(stderr);
        pid_ = fork();
        if (pid_ == 0) {
            cleanup_forget_inherited();
            close(down[1]);
            close(up[0]);
            _exit(keep_guarded(down[0], up[1]));
        }
        if (pid_ > 0)
            cleanup_register(CleanupKind::Run, pid_);
        close(down[0]);
        close(up[1]);
        to_ = down[1];
        from_ = up[0];
        char c = 0;
        if (pid_ < 0 || read(from_, &c, 1) != 1 || c != 'R') {
            stop();
            if (read_run_report(report_, r) < 0)
                r->failure_class = "the keeper process could not start";
            r->status = 2;
            return false;
        }
        return true;
    }

    void stop() {
        if (to_ >= 0)
            close(to_);
        if (from_ >= 0)
            close(from_);
        to_ = from_ = -1;
        if (pid_ > 0) {
            while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
            }
            cleanup_unregister(CleanupKind::Run, pid_);
        }
        pid_ = -1;
    }

    // The keeper's body: server, enumeration, then one forked run per line.
    // The keeper is a forked child: nothing may unwind into the parent's
    // copy of the stack.
    int keep_guarded(int in, int out) {
        try {
            return keep(in, out);
        } catch (const std::exception &e) {
            std::fprintf(stderr, "rcsim: device-reset keeper: internal error: %s\n", e.what());
        } catch (...) {
            std::fprintf(stderr, "rcsim: device-reset keeper: internal error\n");
        }
        return 2;
    }

    int keep(int in, int out) {
        std::string err;
        if (h_.start_server(spec_.server_argv, &err) < 0 || h_.enumerate(&err) < 0) {
            RunReport r;
            r.failure_class = "setup: " + err.substr(0, err.find('\n'));
            r.details = err + "\n" + h_.failure_report();
            write_run_report(report_, r);
            h_.shutdown();
            return 2;
        }
        if (write(out, "R", 1) != 1)
            return 2;
        FILE *f = fdopen(in, "r");
        char *line = nullptr;
        size_t cap = 0;
        RunLimits lim;
        lim.wall_limit = limit_;
        while (f && getline(&line, &cap, f) > 0) {
            std::string l(line);
            l.pop_back();
            const std::string policy = l.substr(0, l.find('\t'));
            const std::string log = l.substr(l.find('\t') + 1);
            const RunResult res = run_in_child(
                [&](size_t) {
                    const RunReport r = scheduled_run_after_reset(h_, spec_, policy, log);
                    write_run_report(report_, r);
                    return r.status;
                },
                0, lim);
            const char c = res.passed() ? '0' : '1';
            if (!res.passed() && res.outcome != RunResult::Outcome::Exited) {
                RunReport r;
                r.failure_class = "run did not report: " + res.describe();
                r.details = res.output;
                write_run_report(report_, r);
            }
            if (write(out, &c, 1) != 1 || c != '0')
                break;
        }
        free(line);
        h_.shutdown();
        return 0;
    }

    Harness &h_;
    const RunSpec &spec_;
    const std::string report_;
    std::chrono::milliseconds limit_;
    pid_t pid_ = -1;
    int to_ = -1, from_ = -1;
};

class Explorer {
  public:
    Explorer(Harness &h, const RunSpec &spec, const ExploreOptions &opt)
        : h_(h), spec_(spec), opt_(opt) {}

    ExploreSummary run() {
        const Clock::time_point t0 = Clock::now();
        mkdir(opt_.out_dir.c_str(), 0755);
        if (opt_.strategy == "exhaustive")
            exhaustive();
        else
            sampled();
        // Logs are for `rcsim replay`, which starts a fresh server: failures
        // found with one server for many runs are confirmed, shrunk and
        // logged with a fresh server per run.
        device_ = false;
        keeper_.reset();
        for (FailureClass &c : sum_.classes) {
            if (opt_.device_reset && !confirm_fresh(c))
                continue;
            if (opt_.shrink)
                shrink(c);
            else
                write_minimal(c, c.original);
        }
        sum_.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        if (opt_.progress && isatty(STDERR_FILENO) == 1)
            std::fprintf(stderr, "\r\033[K");
        return sum_;
    }

  private:
    std::string report_path(size_t slot) const {
        return opt_.out_dir + "/run-" + std::to_string(slot) + ".report";
    }

    // Runs the policies in forked children (opt_.jobs at once); the reports
    // come back in order.
    std::vector<RunReport> batch(const std::vector<std::string> &policies,
                                 const std::vector<std::string> &logs = {}) {
        if (device_) {
            if (!keeper_)
                keeper_ = std::make_unique<Keeper>(h_, spec_, opt_.out_dir, opt_.run_limit);
            std::vector<RunReport> out;
            for (size_t i = 0; i < policies.size(); ++i)
                out.push_back(keeper_->run(policies[i], i < logs.size() ? logs[i] : ""));
            return out;
        }
        RunLimits lim;
        lim.wall_limit = opt_.run_limit;
        const std::vector<RunResult> res = run_children(
            policies.size(), std::max<size_t>(1, opt_.jobs),
            [&](size_t i) {
                const RunReport r =
                    scheduled_run(h_, spec_, policies[i], i < logs.size() ? logs[i] : "", "");
                write_run_report(report_path(i), r);
                return r.status;
            },
            lim);
        std::vector<RunReport> out(policies.size());
        for (size_t i = 0; i < res.size(); ++i) {
            if (read_run_report(report_path(i), &out[i]) < 0 ||
                !(res[i].outcome == RunResult::Outcome::Exited)) {
                out[i].status = 2;
                out[i].failure_class = "run did not report: " + res[i].describe();
                out[i].details = res[i].output;
            }
            std::remove(report_path(i).c_str());
        }
        return out;
    }

    // `global`: the run's 1-based index in the whole (unsharded) exploration.
    void account(const std::string &policy, const RunReport &r, size_t global) {
        ++sum_.runs;
        sum_.hashes.insert(r.hash);
        sum_.queue_peak = std::max(sum_.queue_peak, r.queue_peak);
        if (prelude_)
            account_prelude(r);
        if (r.status == 2) {
            ++sum_.errors;
            if (sum_.errors_seen.size() < 5)
                sum_.errors_seen.push_back(policy + ": " + r.failure_class);
            return;
        }
        if (r.status == 0)
            return;
        ++sum_.failures;
        ++sum_.categories[r.category.empty() ? "other" : r.category];
        if (!sum_.first_failure_run)
            sum_.first_failure_run = global;
        for (FailureClass &c : sum_.classes)
            if (c.name == r.failure_class) {
                ++c.count;
                return;
            }
        FailureClass c;
        c.name = r.failure_class;
        c.category = r.category.empty() ? "other" : r.category;
        c.count = 1;
        c.first_run = global;
        c.policy = policy;
        c.original = r.deviations;
        c.details = r.details;
        sum_.classes.push_back(c);
    }

    void account_prelude(const RunReport &r) {
        ExplorePrelude &p = sum_.prelude;
        ++p.runs;
        if (r.status == 2)
            ++p.errors;
        if (r.status != 1)
            return;
        ++p.failures;
        ++p.categories[r.category.empty() ? "other" : r.category];
        ++p.classes[r.failure_class];
    }

    void progress(size_t total) const {
        if (opt_.progress && isatty(STDERR_FILENO) == 1)
            std::fprintf(stderr, "\r\033[K[explore] %zu/%zu runs, %zu failures, %zu interleavings",
                         sum_.runs, total, sum_.failures, sum_.hashes.size());
    }

    bool stop() const { return opt_.stop_at_first_failure && sum_.failures > 0; }

    // fifo once: how many choice points offer a choice (pct's K).
    size_t fifo_branching() {
        const std::vector<RunReport> r = batch({"fifo"});
        prelude_ = true;
        account("fifo", r[0], 1);
        prelude_ = false;
        sum_.branching = size_t(r[0].choices.branching);
        return sum_.branching;
    }

    void sampled() {
        const bool pct = opt_.strategy == "pct";
        const size_t k = pct ? std::max<size_t>(1, fifo_branching()) : 0;
        const size_t chunk = std::max<size_t>(1, opt_.jobs) * 2;
        std::vector<std::string> todo;
        std::vector<size_t> global;
        for (size_t i = 0; i < opt_.runs; ++i) {
            if (i % opt_.shards != opt_.shard)
                continue;
            global.push_back((pct ? 2 : 1) + i);
            const std::string seed = std::to_string(opt_.seed + i);
            todo.push_back(pct ? "pct:" + seed + ":" + std::to_string(opt_.depth) + ":" +
                                     std::to_string(k)
                               : "random:" + seed);
        }
        for (size_t at = 0; at < todo.size() && !stop(); at += chunk) {
            const std::vector<std::string> part(
                todo.begin() + long(at), todo.begin() + long(std::min(todo.size(), at + chunk)));
            const std::vector<RunReport> rs = batch(part);
            for (size_t i = 0; i < rs.size() && !stop(); ++i)
                account(part[i], rs[i], global[at + i]);
            progress(todo.size());
        }
    }

    // Breadth first over plans; level L holds the plans with L deviations.
    // The last level is split between shards (the levels above it are
    // small and every shard needs them to know the last one).
    void exhaustive() {
        std::vector<Planned> level{{"plan:", {}}};
        for (unsigned depth = 0; !level.empty() && !stop(); ++depth) {
            const size_t base = sum_.runs; // every shard ran all levels above
            prelude_ = depth < opt_.bound;
            if (depth == opt_.bound && opt_.shards > 1) {
                std::vector<Planned> mine;
                for (size_t i = 0; i < level.size(); ++i)
                    if (i % opt_.shards == opt_.shard)
                        mine.push_back(level[i]);
                level.swap(mine);
            }
            std::vector<Planned> next;
            const size_t chunk = std::max<size_t>(1, opt_.jobs) * 2;
            for (size_t at = 0; at < level.size() && !stop() && sum_.runs < opt_.runs;
                 at += chunk) {
                std::vector<std::string> part;
                for (size_t i = at; i < std::min(level.size(), at + chunk); ++i)
                    part.push_back(level[i].policy);
                const std::vector<RunReport> rs = batch(part);
                for (size_t i = 0; i < rs.size() && !stop(); ++i) {
                    account(part[i], rs[i], base + level[at + i].index + 1);
                    if (depth == 0) {
                        sum_.branching = size_t(rs[i].choices.branching);
                    }
                    if (depth < opt_.bound)
                        extend(level[at + i], rs[i], &next);
                    // Branching points past ChoiceShape::kKept are not
                    // offered to deviate at: the exploration is not complete.
                    if (depth < opt_.bound &&
                        rs[i].choices.branching > rs[i].choices.offered.size())
                        sum_.incomplete = true;
                }
                progress(sum_.runs + (level.size() - std::min(level.size(), at + chunk)));
            }
            if (sum_.runs >= opt_.runs && (!next.empty() || sum_.runs < level.size()))
                sum_.incomplete = true;
            for (size_t i = 0; i < next.size(); ++i)
                next[i].index = i;
            level.swap(next);
        }
        prelude_ = false;
    }

    static void extend(const Planned &p, const RunReport &r, std::vector<Planned> *next) {
        const uint64_t from = p.plan.empty() ? 0 : p.plan.back().point + 1;
        for (const auto &[point, options] : r.choices.offered) {
            if (point < from)
                continue;
            for (size_t o = 1; o < options; ++o) {
                Planned q = p;
                q.plan.push_back({point, o, ""});
                q.policy = "plan:" + plan_to_string(q.plan);
                next->push_back(q);
            }
        }
    }

    // Drops one deviation at a time while the run still fails the same way
    // (delta debugging at granularity one: the result is 1-minimal). The
    // candidates run as `labels:` plans: removing a deviation (a delay adds
    // a choice point later) shifts the numbers of the choice points after
    // it, but not the labels of the options taken there.
    RunReport run_labels(const std::vector<Deviation> &devs, const std::string &file,
                         const std::string &log = "") {
        write_labels(file, devs);
        return batch({"labels:" + file}, {log})[0];
    }

    // The schedule found with --reset device, run with a fresh server: the
    // class is what it does there (a server's state beyond its registers,
    // such as its message ids, may change how it fails). By labels, not by
    // the policy: a fresh run also takes enumeration's choices, so the same
    // choice has another number there.
    bool confirm_fresh(FailureClass &c) {
        const RunReport r = run_labels(c.original, opt_.out_dir + "/confirm.labels");
        std::remove((opt_.out_dir + "/confirm.labels").c_str());
        if (r.status == 1) {
            if (r.failure_class != c.name) {
                c.note = "found with --reset device as: " + c.name;
                rename_prelude_class(c.name, r.failure_class);
            }
            c.name = r.failure_class;
            c.original = r.deviations;
            return true;
        }
        c.note = "found with --reset device only; with a fresh server this schedule passes "
                 "(state carried over between runs?): no replay log";
        c.minimal = c.original;
        c.details = "";
        return false;
    }

    // A merge takes a class's prelude runs off by its final name.
    void rename_prelude_class(const std::string &from, const std::string &to) {
        const auto it = sum_.prelude.classes.find(from);
        if (it == sum_.prelude.classes.end())
            return;
        sum_.prelude.classes[to] += it->second;
        sum_.prelude.classes.erase(from);
    }

    void shrink(FailureClass &c) {
        std::vector<Deviation> cur = c.original;
        const std::string file = opt_.out_dir + "/shrink.labels";
        bool smaller = true;
        while (smaller && !cur.empty()) {
            smaller = false;
            for (size_t k = 0; k < cur.size(); ++k) {
                std::vector<Deviation> cand = cur;
                cand.erase(cand.begin() + long(k));
                const RunReport r = run_labels(cand, file);
                ++c.shrink_runs;
                if (r.status == 1 && r.failure_class == c.name) {
                    cur = r.deviations; // what that run actually took
                    smaller = true;     // labels: never more deviations than asked
                    break;
                }
            }
        }
        std::remove(file.c_str());
        write_minimal(c, cur);
    }

    void write_minimal(FailureClass &c, const std::vector<Deviation> &plan) {
        const size_t n = size_t(&c - sum_.classes.data()) + 1;
        const std::string base = opt_.out_dir + "/failure-" + std::to_string(n);
        c.log_path = base + ".jsonl";
        const RunReport r = run_labels(plan, base + ".labels", c.log_path);
        ++c.shrink_runs;
        if (r.status == 1 && r.failure_class == c.name) {
            c.minimal = r.deviations;
            c.details = r.details;
            return;
        }
        // Not repeatable: keep the original schedule's log instead.
        c.minimal = c.original;
        batch({c.policy}, {c.log_path});
    }

    Harness &h_;
    const RunSpec &spec_;
    const ExploreOptions &opt_;
    ExploreSummary sum_;
    bool prelude_ = false; // the runs being accounted are repeated by every shard
    bool device_ = opt_.device_reset;
    std::unique_ptr<Keeper> keeper_;
};

} // namespace

ExploreSummary explore(Harness &h, const RunSpec &spec, const ExploreOptions &opt) {
    return Explorer(h, spec, opt).run();
}

std::string format_summary(const ExploreSummary &s, const std::string &replay_command) {
    std::string out;
    char line[512];
    std::snprintf(line, sizeof line,
                  "explore: %zu runs, %zu failed, %zu could not run, %zu distinct interleavings, "
                  "%.1f s (%.1f runs/s)\n",
                  s.runs, s.failures, s.errors, s.hashes.size(), s.seconds,
                  s.seconds > 0 ? double(s.runs) / s.seconds : 0.0);
    out += line;
    if (s.incomplete)
        out += "  INCOMPLETE: the run limit (--runs) stopped the exhaustive search\n";
    if (s.first_failure_run)
        out += "  first failure at run " + std::to_string(s.first_failure_run) + "\n";
    for (const std::string &e : s.errors_seen)
        out += "  could not run: " + e + "\n";
    if (!s.categories.empty()) {
        out += "  failures by category:";
        size_t count = 0;
        const char *const *names = failure_category_names(&count);
        std::string sep = " ";
        for (size_t i = 0; i < count; ++i) {
            const auto it = s.categories.find(names[i]);
            if (it == s.categories.end())
                continue;
            out += sep + names[i] + " " + std::to_string(it->second);
            sep = ", ";
        }
        out += "\n";
    }
    if (s.queue_peak >= 0)
        out += "  server DMA queue peak: " + std::to_string(s.queue_peak) + " bytes\n";
    size_t n = 0;
    for (const FailureClass &c : s.classes) {
        out += "failure class " + std::to_string(++n) + ": " + c.name + "\n";
        out += "  category: " + c.category + "; " + std::to_string(c.count) +
               " run(s); first: run " + std::to_string(c.first_run) + " (" + c.policy + ", " +
               std::to_string(c.original.size()) + " deviation(s) from fifo)\n";
        out += "  shrunk to " + std::to_string(c.minimal.size()) + " deviation(s) from fifo in " +
               std::to_string(c.shrink_runs) + " run(s)" + (c.minimal.empty() ? "" : ":") + "\n";
        for (const Deviation &d : c.minimal)
            out += "    choice " + std::to_string(d.point) + ": " + d.label + "\n";
        if (!c.note.empty())
            out += "  note: " + c.note + "\n";
        if (!c.log_path.empty())
            out += "  replay: " + replay_command + " " + c.log_path + "\n";
        out += "  report of the minimal run:\n";
        std::string d = c.details;
        for (size_t pos = 0; pos < d.size();) {
            const size_t e = d.find('\n', pos);
            out +=
                "    " + d.substr(pos, e == std::string::npos ? std::string::npos : e - pos) + "\n";
            if (e == std::string::npos)
                break;
            pos = e + 1;
        }
    }
    return out;
}

std::string unexplorable(const Program &program) {
    const Statement *w = first_wall_wait(program);
    if (!w)
        return {};
    return w->loc.file + ":" + std::to_string(w->loc.line) + ": '" + w->source +
           "' waits in wall-clock time (the server's own timer): its runs are not repeatable, "
           "so they cannot be explored; use rcsim run";
}

} // namespace rcsim
