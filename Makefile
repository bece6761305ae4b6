# runeco: two commands for a new user -- `make demo` and `make test`.
# Every target creates .venv and installs what it needs; nothing is installed by hand.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
WORKERS ?= 2

.PHONY: install sysdeps demo test lint format bench validate-model independent-check blind-check heldout-check unseen-check coaching-check training-load-check eighth-check ninth-check tenth-check eleventh-check pooling-alternatives small-squads big-squads mutation deliberate-bugs sample check-html clean

# WeasyPrint (PDF rendering) needs the system's Pango, and uses HarfBuzz's
# subsetter for fonts (without it, it falls back to fontTools: ~1 s slower per
# PDF). Debian ships both; on a machine without them, install them with
# apt-get when we are root, else say what is missing.
SYSLIBS := libpango-1.0.so.0 libpangoft2-1.0.so.0 libharfbuzz-subset.so.0
# Names with emoji print as emoji in the PDFs (not as empty boxes).
EMOJI_FONT := /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
sysdeps:
	@missing=""; for lib in $(SYSLIBS); do ldconfig -p 2>/dev/null | grep -q "$$lib" || missing="$$missing $$lib"; done; \
	[ -f $(EMOJI_FONT) ] || missing="$$missing emoji-font"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing system libraries for PDF output:$$missing"; \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
	      fonts-noto-color-emoji >/dev/null; } \
	    || echo "warning: apt-get could not install them; PDF output may fail or be slower"; \
	  else echo "warning: missing$$missing; PDF output needs Pango (apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)"; fi; \
	fi

# uv installs the same packages in a third of pip's time (16 s against 50 s here, bytecode
# compiled as pip does); where uv cannot be installed or cannot install, pip does it all.
# uv reads PyPI (or UV_INDEX_URL), not pip's configuration: on a machine that only
# reaches a mirror named in pip.conf, uv fails (after its timeouts) and pip installs.
$(STAMP): pyproject.toml
	$(MAKE) --no-print-directory sysdeps
	$(PYTHON) -m venv $(VENV)
	{ $(BIN)/pip install -q uv && $(BIN)/uv pip install --python $(BIN)/python -q --compile-bytecode -e ".[dev]"; } \
	  || { echo "uv could not install the project: installing with pip"; \
	       $(BIN)/pip install -q -U pip setuptools wheel && $(BIN)/pip install -q -e ".[dev]"; }
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/runeco validate data/sample
	$(BIN)/runeco analyze data/sample --out reports/sample-analysis.csv --squad-out reports/sample-squad.csv
	$(BIN)/runeco report data/sample --squad --out reports/sample --workers $(WORKERS)
	@echo "Reports written to reports/sample/"

# --dist loadscope: a module's tests share one worker, so a module's fixture (a
# simulated squad, a rendered squad report) is built once, not once per worker.
# PYTHONDONTWRITEBYTECODE emptied: with it set (as on some CI images) every test
# process and report kernel compiled src/ again and pytest rewrote every test module
# in both workers (collection 12 s -> 7 s with the cache).
test: install
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -q -n $(WORKERS) --dist loadscope

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: install
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: install
	$(BIN)/python benchmarks/run.py $(BENCH)

# Mutation testing (mutmut; not in CI: hours for all 10,366 mutants on 2 cores, 2-10 minutes per module alone): modules and tests in pyproject's [tool.mutmut].
mutation: install
	rm -rf mutants
	$(BIN)/mutmut run || true
	$(BIN)/mutmut results > mutants-results.txt || true
	@$(BIN)/python -c "import re,collections; t=open('mutants-results.txt').read(); c=collections.Counter(re.findall(r': (\w[\w ]*)$$', t, re.M)); print(dict(c))"

# Issue 15's deliberate one-line bugs, each in a scratch worktree: every one must fail a test.
deliberate-bugs: install
	bash benchmarks/deliberate_bugs.sh

# The model on scenarios it was not tuned on; writes docs/VALIDATION.md (about 5 minutes:
# 40 squads per scenario, since a squad's runners share its weather and control reference
# and 10 squads could not tell an SE ratio of 1.05 from 1.25).
validate-model: install
	$(BIN)/python benchmarks/validate_model.py --squads 40 --runners 16 --out docs/VALIDATION.md

# The model on squads from a generator written independently of our simulator and
# estimator (benchmarks/independent_scenarios.py; docs/INDEPENDENT_CHECK.md says how
# and what it found); prints the table (about 2 minutes).
independent-check: install
	$(BIN)/python benchmarks/independent_scenarios.py run --work benchmarks/.out/independent \
	  --seeds 5 --runeco $(BIN)/runeco --md benchmarks/.out/independent/table.md

# The model on squads from a third generator, written blind to our simulators and
# estimator (benchmarks/blind_scenarios.py; docs/BLIND_CHECK.md); about 3 minutes
blind-check: install
	$(BIN)/python benchmarks/blind_scenarios.py run --work benchmarks/.out/blind --seeds 8 \
	  --runeco $(BIN)/runeco --md benchmarks/.out/blind/results.md \
	  --per-runner benchmarks/.out/blind/per_runner.csv

# The model on squads from a fourth generator, written blind to the estimator
# (benchmarks/heldout_scenarios.py; docs/HELDOUT_CHECK.md); about 3 minutes
heldout-check: install
	$(BIN)/python benchmarks/heldout_scenarios.py run --work benchmarks/.out/heldout --seeds 6 \
	  --runeco $(BIN)/runeco --md benchmarks/.out/heldout/results.md \
	  --per-runner benchmarks/.out/heldout/per_runner.csv

# The model on squads from a fifth generator, written blind to the estimator
# (benchmarks/unseen_scenarios.py; docs/UNSEEN_CHECK.md); about 2 minutes
unseen-check: install
	$(BIN)/python benchmarks/unseen_scenarios.py run --work benchmarks/.out/unseen --seeds 3 \
	  --first-seed 301 --runeco $(BIN)/runeco --md benchmarks/.out/unseen/results.md \
	  --per-runner benchmarks/.out/unseen/per_runner.csv

# The model on squads from a sixth generator, written blind to the estimator:
# coaching life (benchmarks/coaching_scenarios.py; docs/COACHING_CHECK.md); about 3 minutes
coaching-check: install
	$(BIN)/python benchmarks/coaching_scenarios.py run --work benchmarks/.out/coaching --seeds 3 \
	  --first-seed 401 --runeco $(BIN)/runeco --md benchmarks/.out/coaching/results.md \
	  --per-runner benchmarks/.out/coaching/per_runner.csv

# The model on squads from a seventh generator, written blind to the estimator:
# heart rate that moves with each runner's own training load (Banister fitness and
# fatigue; benchmarks/training_load_scenarios.py; docs/TRAINING_LOAD_CHECK.md); about 2 minutes
training-load-check: install
	$(BIN)/python benchmarks/training_load_scenarios.py run --work benchmarks/.out/training_load \
	  --seeds 3 --first-seed 501 --runeco $(BIN)/runeco \
	  --md benchmarks/.out/training_load/results.md \
	  --per-runner benchmarks/.out/training_load/per_runner.csv

# The model on squads from an eighth generator, written blind to the estimator: seasons,
# wind, clothing and snow, a warm camp, menstrual cycles, masters controls, blood donation,
# 10 + 2 squads (benchmarks/eighth_scenarios.py; docs/EIGHTH_CHECK.md); about 2 minutes
eighth-check: install
	$(BIN)/python benchmarks/eighth_scenarios.py run --work benchmarks/.out/eighth \
	  --seeds 3 --first-seed 801 --runeco $(BIN)/runeco \
	  --md benchmarks/.out/eighth/results.md \
	  --per-runner benchmarks/.out/eighth/per_runner.csv

# The model on squads from a ninth generator, written blind to the estimator: curved
# heart-rate curves, kinetics and a slow component, plasma volume and haemoglobin
# (benchmarks/ninth_scenarios.py; docs/NINTH_CHECK.md); about 2 minutes
ninth-check: install
	$(BIN)/python benchmarks/ninth_scenarios.py run --work benchmarks/.out/ninth \
	  --seeds 3 --first-seed 901 --runeco $(BIN)/runeco \
	  --md benchmarks/.out/ninth/results.md \
	  --per-runner benchmarks/.out/ninth/per_runner.csv

# The model on squads from a tenth generator, written blind to the estimator: squad designs
# and logging habits (unequal groups, staggered blocks, 40 runners, two blocks, holidays,
# late logs, the coach's own group labels; benchmarks/tenth_scenarios.py;
# docs/TENTH_CHECK.md); about 2 minutes
tenth-check: install
	$(BIN)/python benchmarks/tenth_scenarios.py run --work benchmarks/.out/tenth \
	  --seeds 2 --first-seed 1001 --runeco $(BIN)/runeco \
	  --md benchmarks/.out/tenth/results.md \
	  --per-runner benchmarks/.out/tenth/per_runner.csv

# The model on squads from an eleventh generator, written blind to the estimator: how the
# strength group's true responses are spread (non-responders, one big responder, runners
# who got worse, a skewed spread; 4 + 4 to 30 + 30; benchmarks/eleventh_scenarios.py;
# docs/ELEVENTH_CHECK.md); about 2 minutes
eleventh-check: install
	$(BIN)/python benchmarks/eleventh_scenarios.py run --work benchmarks/.out/eleventh \
	  --seeds 2 --first-seed 1101 --runeco $(BIN)/runeco \
	  --md benchmarks/.out/eleventh/results.md \
	  --per-runner benchmarks/.out/eleventh/per_runner.csv

# Other population models for the partial pooling (a Student t; a responder /
# non-responder mixture; the two averaged) against ours, on the scenario suite's
# squads; writes docs/POOLING_ALTERNATIVES.md (about 20 minutes). On a blind generator's
# squads: benchmarks/pooling_alternatives.py --rows <its per-runner CSV>
pooling-alternatives: install
	$(BIN)/python benchmarks/pooling_alternatives.py --squads 40 --out docs/POOLING_ALTERNATIVES.md

# The model in squads of 6-12 runners (3 + 3, 4 + 4, 9 + 3, 10 + 2); writes docs/SMALL_SQUADS.md
# (about a minute).
small-squads: install
	$(BIN)/python benchmarks/small_squads.py --squads 30 --out docs/SMALL_SQUADS.md

# The time course in squads of 30 + 30 (a ramp, a plateau, a late start) under the
# time-course test's two influence rules; writes docs/BIG_SQUADS.md (about 5 minutes).
big-squads: install
	$(BIN)/python benchmarks/big_squads.py --squads 30 --out docs/BIG_SQUADS.md

# Regenerate the committed sample squad (fixed seed: the same bytes every time).
sample: install
	$(BIN)/runeco simulate --out data/sample --force --runners 8 --seed 2026 --baseline-weeks 6 --block-weeks 10

# The interactive HTML report in a real browser (not part of `make test`): Debian's
# chromium, installed with apt-get when we are root and it is missing, opens the sample
# runner's and the squad's HTML headless; tests/browser/check_html.py checks that no request
# leaves the file, no CSP violation or console error occurs, and hovering a run shows
# its tooltip.
CHECK_HTML_DIR := reports/check-html
check-html: install
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium for the browser check"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: apt-get install chromium"; exit 1; fi; }
	rm -rf $(CHECK_HTML_DIR)
	$(BIN)/runeco report data/sample --runner R01 --squad --format html --out $(CHECK_HTML_DIR) --workers $(WORKERS)
	$(BIN)/python tests/browser/check_html.py $(CHECK_HTML_DIR)/R01.html $(CHECK_HTML_DIR)/squad.html

clean:
	rm -rf $(VENV) reports/sample reports/*.csv .pytest_cache
