#!/bin/bash
# The deliberate one-line bugs of issue 15, each applied in a scratch worktree of HEAD:
# every one must make a test fail (the failing tests are printed). `make deliberate-bugs`.
set -u
WT=$(mktemp -d)/wt-bugs
cd "$(git rev-parse --show-toplevel)"; ROOT=$PWD
git worktree remove --force $WT 2>/dev/null; rm -rf $WT
git worktree add -q --detach $WT HEAD
MISSED=0
run() {  # name, file, python-replace-old, new, tests...
  local name="$1" file="$2" old="$3" new="$4"; shift 4
  (cd $WT && git checkout -q -- .)
  python3 - "$WT/$file" "$old" "$new" <<'PY'
import sys
p, old, new = sys.argv[1:4]
s = open(p).read()
assert s.count(old) >= 1, (p, old)
open(p, "w").write(s.replace(old, new))
PY
  echo "=== $name"
  local out
  out=$(cd $WT && PYTHONPATH=$WT/src timeout 900 "$ROOT/.venv/bin/pytest" -q -p no:cacheprovider -x -n 2 "$@" 2>&1)
  echo "$out" | grep -E "^FAILED|passed|failed" | head -3
  if ! echo "$out" | grep -q "^FAILED"; then echo "NOT CAUGHT: $name"; MISSED=$((MISSED + 1)); fi
}
run "CONFIDENCE 0.95 -> 0.90" src/analysis/models/inference.py "CONFIDENCE = 0.95" "CONFIDENCE = 0.90" tests/models
run "HR upper bound 250 -> 350" src/analysis/schema.py 'Column("avg_hr_bpm", "float", low=25, high=250' 'Column("avg_hr_bpm", "float", low=25, high=350' tests/io
run "Banister b 1.92 -> 1.79" src/analysis/physiology.py '"M": (0.64, 1.92)' '"M": (0.64, 1.79)' tests/test_physiology.py tests/test_physiology_limits.py tests/models/test_reference.py
run "VO2 rest 3.5 -> 3.0" src/analysis/physiology.py "VO2_REST_ML_KG_MIN = 3.5" "VO2_REST_ML_KG_MIN = 3.0" tests/models/test_independent.py
run "runner id allows / and ." src/analysis/schema.py 'RUNNER_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"' 'RUNNER_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_./-]{0,63}"' tests/test_hostile_ids.py tests/io/test_load.py
run "steady window 40 -> 30 %" src/analysis/metrics.py "hrr_range: tuple[float, float] = (0.40, 0.95)," "hrr_range: tuple[float, float] = (0.30, 0.95)," tests/test_metrics.py
run "economy trend through raw costs" src/analysis/plots.py 'trend["o2_cost_trend_ml_kg_km"],' 'trend["o2_cost_ml_kg_km"],' tests/test_plots.py
run "time course: one left out per 8, rounded down" src/analysis/models/prepare.py "max(1, math.ceil(n / TIME_COURSE_RUNNERS_PER_LEFT_OUT))" "max(1, n // TIME_COURSE_RUNNERS_PER_LEFT_OUT)" tests/models/test_choice_serial.py
run "lifting stopped early: 21 -> 28 days" src/analysis/blocks.py "STOPPED_EARLY_DAYS = 21" "STOPPED_EARLY_DAYS = 28" tests/test_blocks.py
run "a running log: runs counted, not days" src/analysis/models/training.py 'groupby("runner_id")["day"].nunique()' 'groupby("runner_id")["day"].count()' tests/models/test_training.py
cd "$ROOT" && git worktree remove --force $WT
echo "deliberate bugs not caught: $MISSED"
exit $(( MISSED > 0 ))
