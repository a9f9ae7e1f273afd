#!/usr/bin/env bash
# Runs every bench-* program of a build and prints ONE table of the figures
# issue 9 asks for, each beside the baseline measured in the same run, the
# ratio, the target and whether it is met; writes the same markdown to OUT.
# Each program prints "FIGURE<TAB>key<TAB>median<TAB>min<TAB>max<TAB>unit"
# lines with --figures (bench/figures.hpp); its whole output goes to
# BUILD/bench/logs/<program>.txt.
#   bench/report.sh BUILD_DIR OUT.md
set -euo pipefail

build=${1:-build}
out=${2:-bench/results.md}
logs=$build/bench/logs
mkdir -p "$logs"
figs=$logs/figures.tsv
: >"$figs"

cache=$build/CMakeCache.txt
cache_get() { sed -n "s/^$1:[A-Z]*=//p" "$cache" | head -n1; }
build_type=$(cache_get CMAKE_BUILD_TYPE)
bt_upper=$(echo "$build_type" | tr '[:lower:]' '[:upper:]')
cxx=$(cache_get CMAKE_CXX_COMPILER)
cxx_version=$("$cxx" --version | head -n1)
cxx_flags="$(cache_get CMAKE_CXX_FLAGS) $(cache_get "CMAKE_CXX_FLAGS_$bt_upper")"
c_flags="$(cache_get CMAKE_C_FLAGS) $(cache_get "CMAKE_C_FLAGS_$bt_upper")"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
cores=$(nproc)
start=$(date +%s)
# What was measured: the checkout's commit, or BENCH_SOURCE's description.
source=${BENCH_SOURCE:-commit $(git -C "$(dirname "$0")/.." rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$(dirname "$0")/.." diff --quiet HEAD 2>/dev/null || echo " with local changes")}

# name, arguments: programs in the table first, then the rest (logged only).
run() {
    local prog=$build/bench/$1
    shift
    if [ ! -x "$prog" ]; then
        echo "bench: $prog missing (not built?)" >&2
        return 1
    fi
    local t0=$(date +%s)
    echo "bench: running $(basename "$prog") $*" >&2
    if ! "$prog" "$@" >"$logs/$(basename "$prog").txt" 2>&1; then
        echo "bench: $(basename "$prog") failed, see $logs/$(basename "$prog").txt" >&2
        tail -n 20 "$logs/$(basename "$prog").txt" >&2
        return 1
    fi
    grep -P '^FIGURE\t' "$logs/$(basename "$prog").txt" | cut -f2- >>"$figs" || true
    echo "bench: $(basename "$prog") took $(( $(date +%s) - t0 )) s" >&2
}

status=0
run bench-harness-mmio --figures || status=1
run bench-client-region-read --figures || status=1
run bench-dmacopy --figures || status=1
run bench-harness-dma --figures || status=1
run bench-rtl-bare --figures || status=1
run bench-rtl-cycles --figures || status=1
run bench-explore --figures || status=1
run bench-harness-memory --figures || status=1
run bench-trace-labels --figures || status=1
run bench-topology --figures || status=1
run bench-topology-race --figures || status=1
for extra in "$build"/bench/bench-*; do
    case $(basename "$extra") in
    bench-harness-mmio | bench-client-region-read | bench-dmacopy | bench-harness-dma | \
        bench-rtl-bare | bench-rtl-cycles | bench-explore | bench-harness-memory | \
        bench-trace-labels | bench-topology | bench-topology-race) ;;
    *) [ -x "$extra" ] && { run "$(basename "$extra")" || status=1; } ;;
    esac
done

# The widest data path: the DMA benches again from a second build of the
# same tree with RCSIM_HARNESS_W=512 (the width is a build setting), their
# keys prefixed w512_.
wide=${BENCH_WIDE_BUILD:-$build-w512}
if [ "${BENCH_NO_WIDE:-0}" != 1 ]; then
    echo "bench: building the 512-bit harness in $wide" >&2
    cmake -S "$(dirname "$0")/.." -B "$wide" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" \
        -DRCSIM_HARNESS_W=512 >/dev/null &&
        ninja -C "$wide" -j"$(nproc)" bench-harness-dma bench-rtl-bare dmacopy >/dev/null || status=1
    for prog in bench-harness-dma bench-rtl-bare; do
        log=$logs/$prog-w512.txt
        echo "bench: running $prog at 512 bits" >&2
        if "$wide/bench/$prog" --figures >"$log" 2>&1; then
            grep -P '^FIGURE\t' "$log" | cut -f2- | sed 's/^/w512_/' >>"$figs" || true
        else
            echo "bench: $prog (512 bits) failed, see $log" >&2
            status=1
        fi
    done
fi
# The figures of the run before issue 18's first change (bench/before-issue18.tsv,
# same machine), keys prefixed before_.
sed 's/^/before_/' "$(dirname "$0")/before-issue18.tsv" | grep -v '^before_#' >>"$figs"
wall=$(( $(date +%s) - start ))

# The table: one row per figure, from the FIGURE lines.
table=$(awk -F'\t' '
function num(x) { return x + 0 }
function fmt(v) {
    if (v >= 1e9) return sprintf("%.3g G", v / 1e9)
    if (v >= 1e6) return sprintf("%.3g M", v / 1e6)
    if (v >= 1e4) return sprintf("%.0f", v)
    if (v >= 100) return sprintf("%.0f", v)
    return sprintf("%.3g", v)
}
function cell(k) {
    if (!(k in med)) return "missing"
    return fmt(med[k]) " [" fmt(lo[k]) " .. " fmt(hi[k]) "] " unit[k]
}
function row(name, k, b, target, ok) {
    r = "-"
    if ((k in med) && (b in med) && num(med[b]) > 0) r = sprintf("%.3g", med[k] / med[b])
    printf "| %s | %s | %s | %s | %s | %s |\n", name, cell(k), (b == "" ? "none" : cell(b)), \
        (b == "" ? "-" : r), target, ok
}
function met(c) { return c ? "**met**" : "NOT met" }
{ med[$1] = $2; lo[$1] = $3; hi[$1] = $4; unit[$1] = $5 }
END {
    print "| figure | value: median [min .. max] | baseline (same run): median [min .. max] | ratio | target | met |"
    print "|---|---|---|---|---|---|"
    k = "busy_cycles_dma_harness"; b = "busy_cycles_dma_bare"
    row("harness busy cycles/s during DMA (baseline: the bare model on the same recorded traffic)", \
        k, b, ">= 0.6 x bare model", met((k in med) && (b in med) && med[k] >= 0.6 * med[b]))
    k = "mmio_stack"; b = "mmio_client"
    row("MMIO round trips/s, full stack, regs announcing idle, 4 B reads (baseline: client only)", \
        k, b, ">= 0.5 x client only", met((k in med) && (b in med) && med[k] >= 0.5 * med[b]))
    k = "mmio_stack_proc"; b = "mmio_client_proc"
    row("MMIO round trips/s, full stack, regs with the announcement off (/proc proof), 4 B reads (baseline: client only)", \
        k, b, ">= 0.35 x client only", met((k in med) && (b in med) && med[k] >= 0.35 * med[b]))
    k = "w512_dma_rtl"; b = "before_dma_rtl"
    row("message DMA MB/s through the RTL, 1 MiB copies, 512 bits (baseline: 128 bits, the run before issue 18)", \
        k, b, ">= 5 x before", met((k in med) && (b in med) && med[k] >= 5 * med[b]))
    k = "dma_rtl"; b = "before_dma_rtl"
    row("message DMA MB/s through the RTL, 1 MiB copies, 128 bits (baseline: the run before issue 18)", \
        k, b, "report", "reported")
    k = "idle_cycles"; b = "busy_cycles_dma"
    row("simulated cycles per wall second idle (edges skipped; baseline: busy, DMA streaming)", \
        k, b, ">= 100 x busy", met((k in med) && (b in med) && med[k] >= 100 * med[b]))
    k = "dma_client_1024k"; b = "dma_socket_1024k"
    row("message DMA MB/s, client only, 1 MiB copies (baseline: raw socket, same bytes)", k, b, \
        ">= 0.8 x raw", met((k in med) && (b in med) && med[k] >= 0.8 * med[b]))
    k = "explore_device_reset"; b = "explore_process_restart"
    row("schedules/s, race279 exploration, --reset device (baseline: a process per run)", k, b, \
        ">= 4 x a process per run", met((k in med) && (b in med) && med[k] >= 4 * med[b]))
    k = "rss_peak"; b = "rss_first"
    row("peak RSS over 10^6 MMIO = 10^6 decisions, fifo scheduler installed (baseline: RSS after 10^3)", k, b, "<= 1.10 x baseline", \
        met((k in med) && (b in med) && med[k] <= 1.10 * med[b]))
    print ""
    print "Reported, and targets of earlier issues kept:"
    print ""
    print "| figure | value: median [min .. max] | baseline (same run): median [min .. max] | ratio | target | met |"
    print "|---|---|---|---|---|---|"
    k = "w512_busy_cycles_dma_harness"; b = "w512_busy_cycles_dma_bare"
    row("512 bits: harness busy cycles/s during DMA (baseline: the bare model, same traffic)", \
        k, b, "report", "reported")
    k = "busy_cycles_mmio_harness"; b = "busy_cycles_mmio_bare"
    row("harness cycles/s during MMIO reads, waits on the server included (baseline: the bare model, same traffic)", \
        k, b, "report", "reported")
    k = "busy_cycles_dma"; b = "before_busy_cycles_dma"
    row("simulated cycles/s busy, whole harness, DMA streaming, 128 bits (baseline: the run before issue 18)", \
        k, b, "report", "reported")
    split("4 8 4096", sz, " ")
    for (i = 1; i <= 3; i++) {
        k = "region_read_lib_" sz[i]; b = "region_read_raw_" sz[i]
        row("client-only REGION_READ round trips/s, " sz[i] " B (baseline: raw socketpair ping-pong)", \
            k, b, ">= 0.8 x raw", met((k in med) && (b in med) && med[k] >= 0.8 * med[b]))
    }
    k = "dma_rtl"; b = "dma_rtl_client"
    row("message DMA MB/s through the RTL, 128 bits (baseline: client only)", k, b, "report", "reported")
    split("4 64 1024", kb, " ")
    for (i = 1; i <= 3; i++) {
        k = "dma_mapsock_" kb[i] "k"; b = "dma_client_" kb[i] "k"
        row("message DMA MB/s, client only, " kb[i] " KiB copies, a DMA socket per mapping (baseline: twin socket, same run)", \
            k, b, "report (issue 21)", "reported")
    }
    row("simulated cycles/s: test-bench model alone (bench-rtl-cycles), back-to-back MMIO", \
        "busy_cycles_rtl_mmio", "", "report", "reported")
    k = "busy_cycles_dma_fst_labels"; b = "busy_cycles_dma_fst_nolabels"
    row("busy cycles/s during DMA, FST + JSONL on, TLP labels on (baseline: labels off, same harness)", \
        k, b, "report (issue 19: a few percent)", "reported")
    k = "busy_cpu_cycles_dma_fst_labels"; b = "busy_cpu_cycles_dma_fst_nolabels"
    row("the same per CPU second of the harness process (baseline: labels off)", \
        k, b, "report", "reported")
    k = "topo_mmio_1"; b = "topo_mmio_classic"
    row("MMIO round trips/s, 1 regs device behind the fabric, 4 B reads (baseline: the classic single-device harness)", \
        k, b, "report (issue 20)", "reported")
    k = "topo_cycles_1"; b = "topo_cycles_classic"
    row("simulated cycles/s during those reads, 1 device behind the fabric (baseline: the classic harness)", \
        k, b, "report (issue 20)", "reported")
    split("2 4 8", nd, " ")
    for (i = 1; i <= 3; i++) {
        k = "topo_mmio_" nd[i]; b = "topo_mmio_1"
        row("MMIO round trips/s, " nd[i] " regs devices behind the fabric, round-robin, 4 B reads (baseline: 1 device behind the fabric)", \
            k, b, "report (issue 20)", "reported")
        k = "topo_cycles_" nd[i]; b = "topo_cycles_1"
        row("simulated cycles/s during those reads, " nd[i] " devices (baseline: 1 device behind the fabric)", \
            k, b, "report (issue 20)", "reported")
    }
    k = "explore_two_writers"; b = "explore_race279_delays"
    row("schedules/s exploring the two-device race (two_writers.rcs, random, --delays 200, --reset process, jobs 1, no shrink; baseline: race279.rcs on dmacopy --legacy-socket the same way)", \
        k, b, "report (issue 20)", "reported")
}' "$figs")

{
    echo "# rcsim benchmark results"
    echo
    echo "Command: \`make -f Makefile.ci bench\` (bench/report.sh $build $out), $(date -u '+%Y-%m-%d %H:%M UTC'), source $source, $wall s."
    echo
    echo "Machine: $cores cores, $cpu; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "Build: CMAKE_BUILD_TYPE=$build_type, $cxx_version, CXX flags \"$(echo $cxx_flags)\", C flags \"$(echo $c_flags)\"."
    echo
    echo "$table"
    echo
    echo "Each figure is the median of several runs of its program (min and max in brackets); the"
    echo "baseline is measured by the same program in the same run. Full outputs: $logs/."
    # What bounds the targets that are not met, with the measurements (by hand).
    if [ -f "$(dirname "$0")/bounds.md" ]; then
        echo
        cat "$(dirname "$0")/bounds.md"
    fi
} | tee "$out"
exit $status
