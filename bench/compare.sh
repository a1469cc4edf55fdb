#!/bin/bash
# Runs Nabla's benchmark jobs and the PyTorch and TorchSharp anchors for the same jobs, interleaved, three
# rounds, and prints a table of medians: Nabla's speed ratio to each anchor (> 1: Nabla is faster) and, for
# GFLOP/s figures, the fraction of the fma-peak Nabla measured in the same run.
#
#   bench/compare.sh peak gemm            (from the repository root; any jobs of bench/Nabla.Bench)
#
# Environment: ANCHORS (default ../shared/anchors, relative to the repository root), ROUNDS (3),
# THREADS (the anchors' thread count, default 2), ANCHOR_WORK (writable copy of the anchors, default
# /tmp/nabla-anchors), NO_INSTALL=1 to skip apt-get.
# Raw figures (one JSON line each, tagged with side and round) are kept in bench/results/<time>/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
anchors=$(cd "${ANCHORS:-../shared/anchors}" && pwd)
rounds=${ROUNDS:-3}
export THREADS=${THREADS:-2}
jobs=("$@")
[ ${#jobs[@]} -gt 0 ] || jobs=(peak gemm)

# The anchors know the course jobs only; Nabla's own jobs (peak) have no anchor figure.
anchor_jobs=()
for job in "${jobs[@]}"; do
    [ "$job" = peak ] || anchor_jobs+=("$job")
done

log() { echo "compare.sh: $*" >&2; }

# --- What the anchors need, on a fresh Debian machine ------------------------------------------------
if [ "${NO_INSTALL:-0}" != 1 ]; then
    missing=()
    for pkg in python3-torch libopenblas0-pthread dataset-fashion-mnist jq; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]}"
        sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd=sudo
        $sudo_cmd apt-get update -q >&2
        DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q "${missing[@]}" >&2
    fi
fi

# The anchors' folder may be read-only: TorchSharp builds in a writable copy, kept outside the repository
# so that our Directory.Build.props (warnings as errors) does not apply to it.
work=${ANCHOR_WORK:-${TMPDIR:-/tmp}/nabla-anchors}
mkdir -p "$work"
cp -r "$anchors"/. "$work"/
chmod -R u+w "$work"

out=$root/bench/results/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
log "raw figures in $out"

log "building Nabla.Bench (Release)"
dotnet build -c Release -v q bench/Nabla.Bench >&2

# Tags each JSON line of a side's stdout with the side and round; other lines go to stderr.
tag() {
    local side=$1 round=$2
    while IFS= read -r line; do
        if [[ $line == \{* ]]; then
            echo "$line" | jq -c --arg side "$side" --argjson round "$round" '. + {side: $side, round: $round}'
        else
            echo "$line" >&2
        fi
    done
}

# Runs one side's command with its stdout in a file, then tags it. Tagging as the lines arrive ran jq (a
# process start per line) on the second core while the side measured its next figure: the GEMM sizes printed
# right after another (n128–n512) then ran on one core, for Nabla and the anchors alike.
run_side() {
    local side=$1 round=$2 raw
    shift 2
    raw=$(mktemp)
    "$@" >"$raw"
    tag "$side" "$round" <"$raw" >>"$out/figures.jsonl"
    rm -f "$raw"
}

# The machine may be shared: its load during the run says how far the figures can be trusted.
load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
for ((round = 1; round <= rounds; round++)); do
    log "round $round/$rounds: Nabla"
    run_side nabla "$round" dotnet run -c Release --no-build --project bench/Nabla.Bench -- "${jobs[@]}"
    if [ ${#anchor_jobs[@]} -gt 0 ]; then
        log "round $round/$rounds: PyTorch"
        run_side pytorch "$round" /usr/bin/python3 "$work/torch_anchor.py" "${anchor_jobs[@]}"
        log "round $round/$rounds: TorchSharp (the first build downloads ~600 MB)"
        run_side torchsharp "$round" "$work/run_torchsharp.sh" "${anchor_jobs[@]}"
    fi
done

load_after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
echo "load average (1, 5, 15 min) before: $load_before, after: $load_after; $(nproc) cores" | tee "$out/table.txt"
/usr/bin/python3 - "$out/figures.jsonl" <<'PY' | tee -a "$out/table.txt"
import json, statistics, sys

# Keys where a smaller figure is better: the ratio is then anchor / Nabla, so > 1 always means Nabla is faster.
LOWER_IS_BETTER = {"us_per_op", "us_per_iter", "median_epoch_s", "ms_per_iter", "forward_ms", "forward_backward_ms", "allreduce_ms", "us_per_batch", "allocated_bytes_per_call"}
SIDES = ["nabla", "pytorch", "torchsharp"]

figures = {}
for line in open(sys.argv[1]):
    record = json.loads(line)
    for key, value in record.items():
        if key in ("job", "side", "round") or not isinstance(value, (int, float)):
            continue
        figures.setdefault((record["job"], key), {}).setdefault(record["side"], []).append(value)

medians = {fig: {side: statistics.median(v) for side, v in sides.items()} for fig, sides in figures.items()}
peak = medians.get(("fma-peak", "gflops"), {}).get("nabla")

def cell(value):
    return "—" if value is None else (f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}")

def ratio(nabla, anchor, key):
    if nabla is None or anchor is None or nabla == 0 or anchor == 0 or key == "fraction_of_peak":
        return None
    return anchor / nabla if key in LOWER_IS_BETTER else nabla / anchor

rows = [("figure", "key", "Nabla", "PyTorch", "TorchSharp", "Nabla/PyTorch", "Nabla/TorchSharp", "Nabla/best", "Nabla/peak", "PyTorch/peak", "TorchSharp/peak")]
for (job, key), sides in medians.items():
    if key == "fraction_of_peak":
        continue  # the Nabla/peak column, computed from the medians
    n, p, t = (sides.get(s) for s in SIDES)
    best = None
    for anchor in (p, t):
        if anchor is not None:
            best = anchor if best is None else (min(best, anchor) if key in LOWER_IS_BETTER else max(best, anchor))
    frac = lambda v: None if (key != "gflops" or peak is None or v is None or job == "fma-peak") else v / peak
    rows.append((job, key, cell(n), cell(p), cell(t), cell(ratio(n, p, key)), cell(ratio(n, t, key)),
                 cell(ratio(n, best, key)), cell(frac(n)), cell(frac(p)), cell(frac(t))))

widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
rounds = max(len(v) for sides in figures.values() for v in sides.values())
print(f"medians of {rounds} interleaved rounds; ratios > 1: Nabla faster; peak = Nabla's fma-peak in this run")
for i, row in enumerate(rows):
    print("  ".join(c.ljust(w) if j < 2 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths))))
    if i == 0:
        print("  ".join("-" * w for w in widths))
PY
