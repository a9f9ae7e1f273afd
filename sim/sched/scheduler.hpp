// The scheduler: at every choice point the harness offers (admission order,
// whether a host request goes to the server while the server's DMA is
// unanswered, the order and split of a host read's completions) it picks
// one option by a policy. Option 0 is always the fifo choice, so a run is
// fully described by its deviations from fifo: the (choice point, option)
// pairs where it took something else. Exploration (explore.hpp) enumerates,
// samples and shrinks those deviation lists.
//
// Policies (the strings `rcsim run --schedule` takes, and the log's header):
//   fifo               option 0 everywhere (the default)
//   random:SEED        uniform among the options at every choice point
//   pct:SEED:DEPTH[:K] DEPTH priority-change points drawn uniformly among the
//                      first K choice points that offer a choice (K defaults
//                      to 16; explore sets it from the fifo run), option 0
//                      elsewhere; after Burckhardt et al., ASPLOS 2010
//   plan:P=O,P=O,...   option O at choice point P, 0 elsewhere (what
//                      exhaustive exploration runs; "plan:" is fifo)
//   labels:FILE        one option label per line: at each choice point the
//                      first label not yet taken that is among the options
//                      is taken, else option 0 (what shrinking runs: a label
//                      survives the removal of an earlier deviation, which
//                      shifts choice point numbers)
//   replay:FILE        the choices of a decision log, matched by label
// Only choices PCIe and vfio-user allow are ever offered (admission.cpp,
// bridge.cpp, bridge_mmio.cpp); the scheduler never invents options.
#pragma once

#include "decision_log.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rcsim {

struct Deviation {
    uint64_t point = 0;
    size_t option = 0; // never 0
    std::string label; // the option taken (what `labels:` plans follow)
    bool operator==(const Deviation &o) const { return point == o.point && option == o.option; }
};

// What a run's choice points offered, in memory that does not grow with the
// run: how many there were, and the option counts of the first kKept that
// offered a choice (exploration deviates only there; a million-point run
// of one-option points costs nothing).
struct ChoiceShape {
    static constexpr size_t kKept = 65536;
    uint64_t points = 0;
    uint64_t branching = 0;                           // points with > 1 option
    std::vector<std::pair<uint64_t, size_t>> offered; // (point, options > 1)
    void add(size_t options);
    // "POINTS,BRANCHING" then ",POINT=OPTIONS" per kept branching point, and back
    // (0 or -EINVAL): how a run report carries it.
    std::string to_string() const;
    static int parse(const std::string &text, ChoiceShape *out);
};

// "3=1,7=2" <-> deviations. parse: 0 or -EINVAL.
std::string plan_to_string(const std::vector<Deviation> &plan);
int parse_plan(const std::string &text, std::vector<Deviation> *out);
// Writes the deviations' labels for a `labels:FILE` policy. 0 or -errno.
int write_labels(const std::string &path, const std::vector<Deviation> &devs);

class Scheduler {
  public:
    // 0, or -EINVAL / -errno (replay log unreadable) with the reason in error.
    static int create(const std::string &policy, std::unique_ptr<Scheduler> *out,
                      std::string *error);

    // Picks one of options (non-empty; options[0] is fifo's) and remembers it.
    size_t choose(const std::string &kind, const std::vector<std::string> &options);

    const std::string &policy() const { return policy_; }
    // Nothing per choice point is kept but the deviations (a long fifo run
    // has none), so a scheduler stays flat in memory however long the run.
    uint64_t choice_count() const { return shape_.points; }
    const ChoiceShape &shape() const { return shape_; }
    const std::vector<Deviation> &deviations() const { return deviations_; }
    // Choice points that offered more than one option.
    size_t branching_points() const { return size_t(shape_.branching); }

    // replay: the log it follows and the first choice that did not match it.
    const DecisionLog *replay_log() const { return replay_ ? &log_ : nullptr; }
    // replay: the first choice that did not match the log, or, when every
    // choice matched, that the log has choices the run never reached.
    std::optional<std::string> replay_divergence() const;

  private:
    enum class Kind { Fifo, Random, Pct, Plan, Labels, Replay };
    Scheduler() = default;
    uint64_t next_random();
    size_t pick(const std::string &kind, const std::vector<std::string> &options);
    size_t pick_replay(const std::string &kind, const std::vector<std::string> &options);

    Kind kind_ = Kind::Fifo;
    std::string policy_ = "fifo";
    uint64_t rng_ = 0;
    std::vector<uint64_t> change_points_; // pct: ordinals among branching points
    uint64_t branching_seen_ = 0;
    std::map<uint64_t, size_t> plan_;
    std::vector<std::string> labels_; // labels: still to take
    bool replay_ = false;
    DecisionLog log_;
    std::vector<const Decision *> logged_choices_;
    std::optional<std::string> divergence_;
    ChoiceShape shape_;
    std::vector<Deviation> deviations_;
};

// Decision kinds that come from the scheduler (the rest are observations).
bool is_choice_kind(const std::string &kind);

} // namespace rcsim
