"""Command-line interface: argument parsing only.

Every command is a thin call into the library. Our own errors (``DataError``)
become one line on stderr and exit code 2; a traceback is a bug (``--debug``
shows it).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from analysis import __version__
from analysis.errors import DataError
from analysis.execution import CHUNK_RUNNERS
from analysis.schema import BASELINE_WEEKS, SOURCE_KINDS


def _cmd_validate(args: argparse.Namespace) -> int:
    from analysis.io import load_dataset, validation_summary, write_quarantine

    ds = load_dataset(args.dataset)
    print(validation_summary(ds))
    if args.quarantine is not None:
        written = write_quarantine(ds, args.quarantine)
        print(f"quarantine table written to {written}")
    return 1 if len(ds.quarantine) else 0


def _cmd_convert(args: argparse.Namespace) -> int:
    from analysis.io.convert import convert

    written = convert(args.dataset, args.out, args.to)
    rows = ", ".join(f"{name} {n:,} rows" for name, n in written.items()) or "nothing to convert"
    print(f"wrote {args.out} in the {args.to} layout ({rows})")
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from analysis.simulate import simulate_squad

    target = Path(args.out)
    if target.exists() and (not target.is_dir() or any(target.iterdir())) and not args.force:
        raise DataError(
            "is not an empty folder: simulate would overwrite what is there; choose a new "
            "folder or pass --force",
            file=str(target),
        )
    out = simulate_squad(
        args.out,
        n_runners=args.runners,
        seed=args.seed,
        baseline_weeks=args.baseline_weeks,
        block_weeks=args.block_weeks,
        strength_fraction=args.strength_fraction,
        missing_fraction=args.missing_fraction,
        bad_rows=args.bad_rows,
        post_weeks=args.post_weeks,
        start_date=args.start_date,
        effect_pct_mean=args.effect_pct_mean,
        effect_pct_sd=args.effect_pct_sd,
        lab_tests=not args.no_lab_tests,
        warming=not args.no_warming,
        pacing=args.pacing,
        econ_day_sd=args.econ_day_sd,
        blocks=args.blocks,
    )
    print(f"simulated squad of {args.runners} runners (seed {args.seed}) written to {out}")
    print(f"known truth: {Path(out) / 'truth.csv'}")
    return 0


def _cmd_metrics(args: argparse.Namespace) -> int:
    from analysis.io import load_dataset
    from analysis.io.layout import is_partitioned
    from analysis.io.write import refuse_dataset_files
    from analysis.metrics import run_metrics, weekly_metrics

    refuse_dataset_files(args.dataset, args.out, args.weekly, args.lab)
    if is_partitioned(Path(args.dataset)):
        return _metrics_in_parts(args)
    ds = load_dataset(args.dataset)
    runs = run_metrics(ds)
    _write_csv(runs, args.out)
    n_steady = int(runs["steady"].sum())
    print(f"wrote {len(runs)} runs ({n_steady} steady) to {args.out}")
    _write_weekly_and_lab(args, weekly_metrics(ds, runs) if args.weekly else None, ds.lab_tests)
    return 0


def _write_weekly_and_lab(args: argparse.Namespace, weekly, lab_tests) -> None:
    """``runeco metrics``' optional --weekly and --lab outputs."""
    from analysis.metrics import lab_economy_at_speed

    if args.weekly:
        _write_csv(weekly, args.weekly)
        print(f"wrote {len(weekly)} runner-weeks to {args.weekly}")
    if args.lab:
        lab = lab_economy_at_speed(lab_tests)
        _write_csv(lab, args.lab)
        print(f"wrote {len(lab)} lab test days to {args.lab}")


def _metrics_in_parts(args: argparse.Namespace) -> int:
    """``runeco metrics`` of a Parquet dataset: each part of runners measured and
    written in turn (rows in part order), never the whole squad in memory."""
    import pandas as pd

    from analysis.io import load_dataset_parts
    from analysis.io.write import neutralise_formulas, write_csv_atomic
    from analysis.metrics import lab_hr_vo2_line, run_metrics, weekly_metrics

    head, parts = load_dataset_parts(args.dataset)
    line = lab_hr_vo2_line(head)  # the squad's, the same for every part: fitted once
    counts = {"runs": 0, "steady": 0}
    weeks = []

    def measured():
        for part in parts:
            runs = run_metrics(part, hr_vo2_line=line)
            counts["runs"] += len(runs)
            counts["steady"] += int(runs["steady"].sum())
            if args.weekly:
                weeks.append(weekly_metrics(part, runs))
            yield neutralise_formulas(runs)

    write_csv_atomic(measured(), args.out)
    print(f"wrote {counts['runs']} runs ({counts['steady']} steady) to {args.out} (part by part)")
    weekly = pd.concat(weeks, ignore_index=True) if args.weekly else None
    _write_weekly_and_lab(args, weekly, head.lab_tests)
    return 0


def _settings(ds, args: argparse.Namespace) -> dict:
    """analyze's options: a flag given on the command line, else the dataset's
    runeco.toml, else the default; says which settings came from the file."""
    if ds.settings.describe():
        print(f"settings from {ds.settings.describe()}; a flag overrides them")
    return ds.settings.resolve(
        baseline_weeks=getattr(args, "baseline_weeks", None),
        swc_pct=getattr(args, "swc_pct", None),
        lab_day_cv_pct=getattr(args, "lab_day_cv_pct", None),
        control_reference=False if getattr(args, "no_control_reference", False) else None,
    )


MAX_PRINTED_ROWS = 200
"""``analyze`` prints its rows on the terminal up to this many; above, the counts."""


def _cmd_analyze(args: argparse.Namespace) -> int:
    from analysis.blocks import runner_blocks
    from analysis.io import load_dataset
    from analysis.io.layout import is_partitioned
    from analysis.io.write import refuse_dataset_files
    from analysis.metrics import run_metrics
    from analysis.models import analyze, squad_summary

    refuse_dataset_files(args.dataset, args.out, args.squad_out)
    if is_partitioned(Path(args.dataset)) and not args.squad_out:
        return _analyze_in_parts(args)
    ds = load_dataset(args.dataset)
    options = _settings(ds, args)
    args.baseline_weeks = options["baseline_weeks"]
    metrics = run_metrics(ds)
    blocks = runner_blocks(ds, baseline_weeks=args.baseline_weeks)
    backend = _analysis_backend(args)
    try:
        per_runner = analyze(
            ds,
            runner_ids=args.runner or None,
            progress=not args.quiet,
            metrics=metrics,
            blocks=blocks,
            backend=backend,
            chunk_runners=args.chunk_runners,
            **options,
        )
    finally:
        if backend is not None:
            backend.close()
    ready = None
    if not args.quiet:
        from analysis.readiness import runner_readiness

        ready = runner_readiness(
            ds, per_runner, metrics, blocks, baseline_weeks=args.baseline_weeks
        )
    _analyze_output(args, ds, per_runner, ready)
    if args.squad_out:
        squad = squad_summary(
            ds, per_runner, baseline_weeks=args.baseline_weeks, metrics=metrics, blocks=blocks
        )
        _write_csv(squad, args.squad_out)
        print(f"wrote squad model and dose-response ({len(squad)} rows) to {args.squad_out}")
    return 0


SPILL_DIR_PREFIX = ".runeco-spill-"


def _analyze_in_parts(args: argparse.Namespace) -> int:
    """``runeco analyze`` of a Parquet dataset, one part of runners in memory at a time."""
    from analysis.io import load_dataset_parts
    from analysis.models import analyze_parts
    from analysis.readiness import runner_readiness_parts
    from analysis.tempdirs import private_dir, sweep

    head, parts = load_dataset_parts(args.dataset)
    options = _settings(head, args)
    args.baseline_weeks = options.pop("baseline_weeks")
    # On a cluster the workers read the spilled metrics: beside the output file
    # (a folder they see); here, the system's temporary folder. Locked while this
    # command lives; a killed command's is removed by the next (analysis.tempdirs).
    near = Path(args.out).resolve().parent if args.scheduler else None
    parent = near if near and near.is_dir() else None
    sweep(SPILL_DIR_PREFIX, parent)
    spill = private_dir(SPILL_DIR_PREFIX, parent)
    backend = None
    try:
        backend = _analysis_backend(args)
        frames, ds, blocks, spilled = analyze_parts(
            head,
            parts,
            str(spill.path),
            args.runner or None,
            baseline_weeks=args.baseline_weeks,
            progress=not args.quiet,
            stream=True,
            backend=backend,
            chunk_runners=args.chunk_runners,
            **options,
        )
        # each chunk of runners written as it comes; kept: what is printed below
        per_runner = _write_streamed(frames, args.out)
        ready = None
        if not args.quiet:
            ready = runner_readiness_parts(
                ds, per_runner, spilled, blocks, baseline_weeks=args.baseline_weeks
            )
    finally:
        if backend is not None:
            backend.close()
        spill.close()
    _analyze_output(args, ds, per_runner, ready, written=True)
    return 0


PRINTED_COLUMNS = (
    *("runner_id", "block", "method", "verdict", "warning"),
    *("params_defaulted", "baseline_o2_cost_ml_kg_km", "mdc_pct"),
)
"""What the summary of a large ``analyze`` and its readiness table read of each row."""


def _write_streamed(frames, path: str):
    """Write ``analyze``'s frames one after another (atomically, as :func:`_write_csv`)
    and return them, whole up to ``MAX_PRINTED_ROWS`` rows, else only the
    ``PRINTED_COLUMNS``: the output of a squad of any size is never whole in memory."""
    import pandas as pd

    from analysis.io.write import neutralise_formulas, write_csv_atomic

    kept: list = []
    n_rows = 0

    def written():
        nonlocal n_rows
        for frame in frames:
            n_rows += len(frame)
            kept.append(frame)
            if n_rows > MAX_PRINTED_ROWS:  # slim each frame once
                kept[:] = [
                    f if f.shape[1] == len(PRINTED_COLUMNS) else f[list(PRINTED_COLUMNS)]
                    for f in kept
                ]
            yield neutralise_formulas(frame)

    write_csv_atomic(written(), path)
    return pd.concat(kept, ignore_index=True)


def _analyze_output(args: argparse.Namespace, ds, per_runner, ready, written=False) -> None:
    """Write ``analyze``'s results (unless ``written``) and print what a coach reads first."""
    from analysis.io import quarantined_row_count

    if not written:
        _write_csv(per_runner, args.out)
    n_rows = len(per_runner)
    if not args.quiet:
        from analysis.readiness import readiness_lines, results_lines

        if len(per_runner) <= MAX_PRINTED_ROWS:
            print("\n".join(results_lines(per_runner)))
        else:  # a federation's squad: counts, the CSV has the rows
            counts = per_runner["verdict"].str.split(":").str[0].value_counts()
            print("verdicts: " + ", ".join(f"{v} {n}" for v, n in counts.items()))
        warned = per_runner.loc[per_runner["warning"].fillna("").astype(str) != ""]
        if len(warned):  # printed, not only in a CSV column nobody opens
            print(f"warnings ({len(warned)} rows):")
            for row in warned.head(MAX_PRINTED_ROWS).itertuples(index=False):
                which = f" block {row.block}" if row.block > 1 else ""
                print(f"  {row.runner_id}{which} {row.method}: {row.warning}")
        not_ready = ready.loc[~ready["ready"]]
        if len(not_ready):
            print(f"{len(not_ready)} runner(s) without an answer; what to change:")
            print("\n".join(readiness_lines(not_ready.head(MAX_PRINTED_ROWS))))
            if len(not_ready) > MAX_PRINTED_ROWS:
                print(
                    f"... and {len(not_ready) - MAX_PRINTED_ROWS} more "
                    f"(`runeco check {args.dataset} --out FILE.csv` lists them all)"
                )
    print(f"wrote {n_rows} rows ({per_runner['runner_id'].nunique()} runners) to {args.out}")
    n_quarantined = quarantined_row_count(ds.quarantine)
    if n_quarantined:
        print(
            f"note: {n_quarantined} rows were quarantined on loading; "
            f"see `runeco validate {args.dataset} --quarantine FILE.csv`"
        )


def _analysis_backend(args: argparse.Namespace):
    """None (this process) unless --scheduler or --workers N > 1 asks for workers."""
    if not args.scheduler and (args.workers or 1) == 1:
        return None
    from analysis.execution import make_backend

    backend = make_backend(args.scheduler, args.workers)
    print(f"analysing on {backend.description}", file=sys.stderr, flush=True)
    link = getattr(backend, "dashboard_link", "")
    if link:
        print(f"Dask dashboard: {link}", file=sys.stderr, flush=True)
    return backend


def _cmd_check(args: argparse.Namespace) -> int:
    from analysis.blocks import runner_blocks
    from analysis.io import load_dataset
    from analysis.metrics import run_metrics
    from analysis.models import analyze
    from analysis.readiness import READINESS_COLUMNS, readiness_lines, runner_readiness

    if args.out:
        from analysis.io.write import refuse_dataset_files

        refuse_dataset_files(args.dataset, args.out)
    ds = load_dataset(args.dataset)
    options = _settings(ds, args)
    args.baseline_weeks = options["baseline_weeks"]
    metrics = run_metrics(ds)
    blocks = runner_blocks(ds, baseline_weeks=args.baseline_weeks)
    results = analyze(ds, runner_ids=args.runner or None, metrics=metrics, blocks=blocks, **options)
    table = runner_readiness(ds, results, metrics, blocks, baseline_weeks=args.baseline_weeks)
    print("\n".join(readiness_lines(table)))
    n_ready = int(table["ready"].sum())
    n_runners = table["runner_id"].nunique()
    what = "runners" if n_runners == len(table) else f"blocks of {n_runners} runners"
    print(f"{n_ready} of {len(table)} {what} ready (baseline {args.baseline_weeks} weeks)")
    if args.out:
        _write_csv(table[list(READINESS_COLUMNS)], args.out)
        print(f"written to {args.out}")
    return 0 if n_ready == len(table) else 1


def _cmd_template(args: argparse.Namespace) -> int:
    from analysis.io.importers.strength_apps import EXERCISES_TEMPLATE, STRENGTH_TEMPLATE

    text = EXERCISES_TEMPLATE if args.what == "exercises" else STRENGTH_TEMPLATE
    if args.out is None:
        sys.stdout.write(text)
        return 0
    target = Path(args.out)
    if target.exists():
        raise DataError(
            "already exists: choose another name (nothing was written)", file=str(target)
        )
    target.write_text(text, encoding="utf-8")
    if args.what == "exercises":
        print(
            f"wrote {target}: one row per exercise whose category you set (heavy, explosive, "
            "plyometric, bodyweight_strength, core, mobility, other), runner_id empty for "
            "every runner; save it as exercises.csv in the dataset folder"
        )
    else:
        print(
            f"wrote {target}: fill in one row per exercise (or per set), then "
            f"`runeco import DATASET --runner ID {target}`"
        )
    return 0


_RUNNER_FLAGS = {
    "name": "name",
    "group": "group",
    "sex": "sex",
    "birth_year": "birth_year",
    "body_mass": "body_mass_kg",
    "hr_rest": "hr_rest_bpm",
    "hr_max": "hr_max_bpm",
    "vo2max": "vo2max_ml_kg_min",
}


def _cmd_runner(args: argparse.Namespace) -> int:
    from analysis.io.edit import set_runner

    values = {
        column: getattr(args, flag)
        for flag, column in _RUNNER_FLAGS.items()
        if getattr(args, flag) is not None
    }
    if not values:
        raise DataError(
            "nothing to set: give at least one of "
            + ", ".join("--" + f.replace("_", "-") for f in _RUNNER_FLAGS)
        )
    changes = set_runner(args.dataset, args.runner_id, values)
    if not changes:
        print(f"{args.runner_id}: nothing changed (the values were already set)")
    for change in changes:
        before = change.before or "(empty)"
        after = change.after or "(empty)"
        print(f"{args.runner_id}: {change.column} {before} -> {after}")
    return 0


def _cmd_remove(args: argparse.Namespace) -> int:
    from analysis.io.edit import remove_runner, runner_rows

    counts = runner_rows(args.dataset, args.runner)
    if "runners.csv" not in counts:
        raise DataError(f"runner {args.runner!r} is not in runners.csv", file=str(args.dataset))
    listing = ", ".join(f"{n} rows of {f}" for f, n in counts.items())
    if not args.yes:
        if not sys.stdin.isatty():
            raise DataError(
                f"would remove {args.runner}: {listing}; add --yes to confirm (no terminal to ask)"
            )
        answer = input(f"remove {args.runner} ({listing}) from {args.dataset}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing removed")
            return 1
    removed = remove_runner(args.dataset, args.runner)
    print(
        f"removed {args.runner}: "
        + ", ".join(
            f"{n} {'files' if f == 'activities/' else 'rows'} of {f}" for f, n in removed.items()
        )
    )
    return 0


def _cmd_plan(args: argparse.Namespace) -> int:
    import numpy as np

    from analysis.models.power import cheapest_plan, plan, serial_inflation

    def describe(best) -> str:
        if best is None:
            return (
                f"no plan up to 12 + 16 weeks at 7 steady runs a week detects "
                f"{args.target_pct:g} %: lower the per-run noise (steadier runs, a chest strap) "
                "or rely on the squad estimate"
            )
        return (
            f"{best['baseline_weeks']:g}-week baseline + {best['block_weeks']:g}-week block at "
            f"{best['runs_per_week']:g} steady runs a week (detects {best['mdc_pct']:.1f} %)"
        )

    if args.dataset is None:
        table = plan(args.typical_error_pct, target_pct=args.target_pct)
        print(
            f"typical runner (per-run typical error {args.typical_error_pct:g} %): to detect a "
            f"{args.target_pct:g} % change with 80 % power: {describe(cheapest_plan(table))}"
        )
        return 0
    from analysis.io import load_dataset
    from analysis.models import analyze

    ds = load_dataset(args.dataset)
    out = analyze(ds, runner_ids=args.runner or None, control_reference=False)
    for _, row in out.loc[out["method"] == "field_hr"].iterrows():
        te = row["typical_error_pct"]
        if not np.isfinite(te):
            te, source = args.typical_error_pct, "typical values (no fit yet)"
        else:
            source = f"its own typical error {te:.1f} %"
        table = plan(te, target_pct=args.target_pct, inflation=serial_inflation(row))
        now = row["mdc_pct"]
        now_text = f"now detects {now:.1f} %; " if np.isfinite(now) else ""
        print(f"{row['runner_id']}: {now_text}needs {describe(cheapest_plan(table))} [{source}]")
    return 0


def _print_dashboard(summary) -> None:
    if summary.dashboard:
        print(f"Dask dashboard: {summary.dashboard}", file=sys.stderr, flush=True)


def _add_scheduler(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run on Dask: 'local' starts a local cluster (--workers processes); "
        "tcp://HOST:PORT uses a running one (default: no Dask, this machine only)",
    )


def _cmd_report(args: argparse.Namespace) -> int:
    from analysis.report import render_reports

    summary = render_reports(
        args.dataset,
        args.out,
        runner_ids=args.runner or None,
        squad=args.squad or args.squad_only,
        runner_reports=not args.squad_only,
        fmt=args.format,
        workers=args.workers,
        fresh_kernels=args.fresh_kernels,
        progress=not args.quiet,
        parameters={"baseline_weeks": args.baseline_weeks},
        scheduler=args.scheduler,
        on_backend=_print_dashboard,
        figures_dir=args.figures,
    )
    print(summary.format())
    return 0 if not summary.failed else 1


def _cmd_import(args: argparse.Namespace) -> int:
    import os

    from analysis.io.importers import import_sources

    if args.max_decompressed_mb is not None:  # read by every reader, in workers too
        os.environ["RUNECO_MAX_DECOMPRESSED_MB"] = str(args.max_decompressed_mb)
    if args.folders:
        if args.runner or args.name:
            raise DataError(
                "--folders imports one runner per subfolder (the folder name is the runner "
                "id): give no --runner or --name with it"
            )
        jobs = [job for root in args.sources for job in _runner_folders(Path(root))]
    elif args.runner is None:
        raise DataError("give --runner ID (or --folders for one subfolder per runner)")
    else:
        jobs = [(args.runner, args.sources)]
    ok = True
    for runner_id, sources in jobs:
        summary = import_sources(
            args.dataset,
            runner_id,
            sources,
            name=args.name,
            kind=args.kind,
            weight_unit=args.weight_unit,
            replace=args.replace,
            include_non_running=args.include_non_running,
            progress=not args.quiet,
            workers=args.workers,
        )
        print(summary.format())
        ok = ok and summary.ok
    if len(jobs) > 1:
        print(f"{len(jobs)} runners imported from {', '.join(args.sources)}")
    _print_readiness(args.dataset, [runner_id for runner_id, _ in jobs])
    print(f"next: `runeco check {args.dataset}` says which runners are ready for an answer")
    return 0 if ok else 1


MAX_READINESS_AFTER_IMPORT = 50
"""Runners whose readiness ``import`` prints; above, `runeco check` lists them."""


def _print_readiness(dataset: str, runner_ids: list[str]) -> None:
    """After an import: is each imported runner ready for an answer, and if not, why."""
    from analysis.blocks import runner_blocks
    from analysis.io import load_dataset
    from analysis.metrics import run_metrics
    from analysis.models import analyze
    from analysis.readiness import readiness_lines, runner_readiness

    try:
        ds = load_dataset(dataset)
    except DataError:
        return  # nothing imported yet (a first import that failed): no dataset to check
    known = set(ds.runner_ids)
    ids = [r for r in dict.fromkeys(runner_ids) if r in known][:MAX_READINESS_AFTER_IMPORT]
    if not ids:
        return
    options = ds.settings.resolve()
    metrics = run_metrics(ds)
    blocks = runner_blocks(ds, baseline_weeks=options["baseline_weeks"])
    results = analyze(ds, ids, metrics=metrics, blocks=blocks, **options)
    table = runner_readiness(ds, results, metrics, blocks, baseline_weeks=options["baseline_weeks"])
    print(f"ready for an answer? (baseline {options['baseline_weeks']} weeks)")
    print("\n".join(readiness_lines(table)))


def _runner_folders(root: Path) -> list[tuple[str, list[str]]]:
    """One (runner id, [folder]) per subfolder of ``root``; every name must be a valid id."""
    from analysis.schema import is_runner_id

    if not root.is_dir():
        raise DataError("not a folder (--folders wants one subfolder per runner)", file=str(root))
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    real_root = root.resolve()
    for link in [p for p in folders if p.is_symlink() and real_root not in p.resolve().parents]:
        # as a file link that leaves the folder is skipped, so is a runner's folder
        print(f"{link}: a link to a folder outside {root}: skipped", file=sys.stderr)
        folders.remove(link)
    if not folders:
        raise DataError(
            "no subfolders: put each runner's files in a folder named by their id", file=str(root)
        )
    bad = [p.name for p in folders if not is_runner_id(p.name)]
    if bad:
        raise DataError(
            "folder names must be runner ids (letters, digits, - and _): "
            + ", ".join(repr(b) for b in bad[:10]),
            file=str(root),
        )
    return [(p.name, [str(p)]) for p in folders]


def _write_csv(frame, path: str) -> None:
    """Write an output table: formulas neutralised for spreadsheets, atomically."""
    from analysis.io.write import neutralise_formulas, write_csv_atomic

    write_csv_atomic(neutralise_formulas(frame), path)


def _int_in(low: int, high: int | None = None):
    """An argparse type: a whole number in [low, high]."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f">= {low}"
            raise argparse.ArgumentTypeError(f"must be a whole number {bound}, got {text!r}")
        return value

    return parse


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 < value < 100.0:
        raise argparse.ArgumentTypeError(
            f"must be a percentage above 0 and below 100, got {text!r}"
        )
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a fraction between 0 and 1, got {text!r}")
    return value


def _iso_date(text: str) -> str:
    try:
        date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be an ISO date like 2026-01-05, got {text!r}"
        ) from None
    return text


_positive_int = _int_in(1)
_weeks = _int_in(1, 520)


def _add_baseline_weeks(p: argparse.ArgumentParser) -> None:
    """``--baseline-weeks`` of analyze, check and report (None: runeco.toml, else the default)."""
    p.add_argument(
        "--baseline-weeks",
        type=_weeks,
        default=None,
        help=f"baseline before the block (runeco.toml, else {BASELINE_WEEKS})",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="runeco",
        description="Did the strength work make this runner more economical?",
    )
    parser.add_argument("--version", action="version", version=f"runeco {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check a dataset and list quarantined rows")
    p.add_argument("dataset", help="dataset folder (runners.csv, runs.csv, ...)")
    p.add_argument("--quarantine", metavar="FILE.csv", help="write the quarantined rows here")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("simulate", help="write a synthetic squad with known true effects")
    p.add_argument("--out", required=True, help="output dataset folder (new or empty)")
    p.add_argument(
        "--force", action="store_true", help="write into a folder that already holds files"
    )
    p.add_argument(
        "--runners", type=_int_in(1, 100_000), default=8, help="number of runners (default 8)"
    )
    p.add_argument("--seed", type=_int_in(0), default=0, help="random seed (default 0)")
    p.add_argument("--baseline-weeks", type=_weeks, default=BASELINE_WEEKS)
    p.add_argument("--block-weeks", type=_weeks, default=10)
    p.add_argument("--strength-fraction", type=_fraction, default=0.5)
    p.add_argument(
        "--missing-fraction", type=_fraction, default=0.0, help="blank this share of optional cells"
    )
    p.add_argument("--bad-rows", type=_int_in(0), default=0, help="inject this many invalid rows")
    p.add_argument(
        "--post-weeks", type=_int_in(0, 520), default=0, help="weeks simulated after the block"
    )
    p.add_argument(
        "--start-date", type=_iso_date, default="2026-01-05", help="first day (ISO date)"
    )
    p.add_argument(
        "--effect-pct-mean", type=float, default=-4.0, help="mean true change, strength group"
    )
    p.add_argument("--effect-pct-sd", type=float, default=1.5, help="SD of the true change")
    p.add_argument("--no-lab-tests", action="store_true", help="no lab_tests.csv")
    p.add_argument("--no-warming", action="store_true", help="no spring warming of temperature")
    p.add_argument(
        "--pacing",
        choices=("plan", "hr", "mixed"),
        default="plan",
        help="easy runs at planned paces (plan), at a target heart rate (hr), or half each",
    )
    p.add_argument(
        "--econ-day-sd",
        type=_fraction,
        default=0.0,
        help="day-to-day economy noise, lognormal SD (e.g. 0.03)",
    )
    p.add_argument(
        "--blocks",
        type=int,
        choices=(1, 2),
        default=1,
        help="strength blocks per strength runner (2: a second block after a gap, its own effect)",
    )
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser(
        "convert",
        help="copy a dataset to the Parquet layout (runs and strength by runner) or back to CSV",
    )
    p.add_argument("dataset")
    p.add_argument("out", metavar="NEW_FOLDER", help="the converted copy (must not exist)")
    p.add_argument("--to", choices=("parquet", "csv"), default="parquet")
    p.set_defaults(func=_cmd_convert)

    p = sub.add_parser("metrics", help="per-run (and per-week, lab) metrics as CSV")
    p.add_argument("dataset")
    p.add_argument("--out", required=True, metavar="RUNS.csv", help="one row per run")
    p.add_argument("--weekly", metavar="WEEKS.csv", help="one row per runner and ISO week")
    p.add_argument("--lab", metavar="LAB.csv", help="lab economy at a common reference speed")
    p.set_defaults(func=_cmd_metrics)

    p = sub.add_parser("analyze", help="model the change in running economy per runner")
    p.add_argument("dataset")
    p.add_argument("--runner", action="append", metavar="ID", help="only this runner (repeatable)")
    p.add_argument("--out", required=True, metavar="FILE.csv", help="per-runner results")
    p.add_argument("--squad-out", metavar="FILE.csv", help="squad model and dose-response")
    _add_baseline_weeks(p)
    p.add_argument(
        "--swc-pct",
        type=_percent,
        default=None,
        help="smallest worthwhile change in economy [%%] for 'no meaningful change' "
        "(runeco.toml, else 2.5)",
    )
    p.add_argument(
        "--lab-day-cv-pct",
        type=_percent,
        default=None,
        help="day-to-day CV of lab economy [%%] included in the lab CI (runeco.toml, else 2.0)",
    )
    p.add_argument(
        "--no-control-reference",
        action="store_true",
        help="headline = each runner's own change, not relative to the squad's controls",
    )
    p.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        help="worker processes for the chunks of runners (default: this process; "
        "with --scheduler local: the cluster's workers)",
    )
    p.add_argument(
        "--chunk-runners",
        type=_positive_int,
        default=CHUNK_RUNNERS,
        metavar="N",
        help=f"runners per task ({CHUNK_RUNNERS}); the answer does not depend on where they run",
    )
    _add_scheduler(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_analyze)

    p = sub.add_parser("runner", help="set a runner's details in runners.csv")
    p.add_argument("action", choices=("set",))
    p.add_argument("dataset")
    p.add_argument("runner_id", metavar="ID")
    p.add_argument("--name")
    p.add_argument("--group", help="e.g. strength or control")
    p.add_argument("--sex", help="F or M")
    p.add_argument("--birth-year")
    p.add_argument("--body-mass", metavar="KG")
    p.add_argument("--hr-rest", metavar="BPM", help="resting heart rate")
    p.add_argument("--hr-max", metavar="BPM", help="maximal heart rate")
    p.add_argument("--vo2max", metavar="ML_KG_MIN")
    p.set_defaults(func=_cmd_runner)

    p = sub.add_parser("remove", help="remove a runner and all their rows from a dataset")
    p.add_argument("dataset")
    p.add_argument("--runner", required=True, metavar="ID")
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.set_defaults(func=_cmd_remove)

    p = sub.add_parser(
        "template", help="write a ready-to-fill strength log or exercise mapping (CSV)"
    )
    p.add_argument(
        "what",
        choices=("strength", "exercises"),
        help="strength: a strength log to import; exercises: exercises.csv, a dataset's "
        "exercise categories",
    )
    p.add_argument("--out", metavar="FILE.csv", help="write here (default: print it)")
    p.set_defaults(func=_cmd_template)

    p = sub.add_parser(
        "check", help="is each runner ready for an answer? if not, why and what to change"
    )
    p.add_argument("dataset")
    p.add_argument("--runner", action="append", metavar="ID", help="only this runner (repeatable)")
    _add_baseline_weeks(p)
    p.add_argument("--out", metavar="FILE.csv", help="also write the table here")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser(
        "plan", help="how many weeks and steady runs a week a runner needs to detect a change"
    )
    p.add_argument("dataset", nargs="?", help="dataset folder (omit for typical values)")
    p.add_argument("--runner", action="append", metavar="ID", help="only this runner (repeatable)")
    p.add_argument("--target-pct", type=_percent, default=3.0, help="change to detect [%%] (3)")
    p.add_argument(
        "--typical-error-pct",
        type=_percent,
        default=4.0,
        help="per-run typical error [%%] when a runner has no fit (4)",
    )
    p.set_defaults(func=_cmd_plan)

    p = sub.add_parser("report", help="render per-runner and squad reports")
    p.add_argument("dataset")
    p.add_argument("--runner", action="append", metavar="ID", help="only this runner (repeatable)")
    p.add_argument("--squad", action="store_true", help="also render the squad report")
    p.add_argument(
        "--squad-only",
        action="store_true",
        help="only the squad report (of the --runner ids given, else of every runner)",
    )
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--format", choices=("pdf", "html", "ipynb"), default="pdf")
    p.add_argument(
        "--workers", type=_positive_int, default=None, help="worker processes (default: cores)"
    )
    p.add_argument(
        "--figures",
        metavar="DIR",
        default=None,
        help="also write every figure as PNG and SVG: DIR/<runner_id>/<figure>.png, DIR/squad/...",
    )
    p.add_argument(
        "--fresh-kernels", action="store_true", help="a new kernel for every report (slower)"
    )
    _add_scheduler(p)
    _add_baseline_weeks(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("import", help="import device files and app exports into a dataset")
    p.add_argument("dataset", help="dataset folder (created if missing)")
    p.add_argument("--runner", metavar="ID")
    p.add_argument("--name", help="runner's name, for a new runner")
    p.add_argument(
        "--folders",
        action="store_true",
        help="a squad at once: each SOURCE holds one subfolder per runner, named by the runner id",
    )
    p.add_argument(
        "--kind",
        choices=SOURCE_KINDS,
        help="force the source kind instead of recognising it from extension and header",
    )
    p.add_argument("--weight-unit", choices=("kg", "lb"), help="unit of Strong's weights")
    p.add_argument(
        "--replace",
        action="store_true",
        help="replace this runner's runs and strength rows that came from the files given "
        "(a corrected file, a re-export, a fixed unit); rows of other files are kept",
    )
    p.add_argument(
        "--include-non-running", action="store_true", help="also import rides, walks, swims"
    )
    p.add_argument(
        "--workers", type=_positive_int, default=1, help="decode device files in parallel"
    )
    p.add_argument(
        "--max-decompressed-mb",
        type=_positive_int,
        default=None,
        help="skip a source file larger than this once decompressed (default 512)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="files or folders")
    p.set_defaults(func=_cmd_import)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # stdout was closed early (`runeco import ... | head`): end quietly; point
        # stdout at devnull so the interpreter's final flush does not fail again.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except Exception as exc:  # a traceback is a bug: say so in one line unless --debug
        if args.debug:
            raise
        print(
            f"internal error: {type(exc).__name__}: {exc} "
            "(this is a bug in runeco; rerun with --debug for the traceback and report it)",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":
    sys.exit(main())
