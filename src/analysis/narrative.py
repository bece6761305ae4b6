"""Report sentences: result frames in, Markdown out.

The answer in one sentence, headers, captions and the methods note, built
from the computed numbers so that the notebooks only call functions and a
test can read a sentence exactly as the report prints it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.formatting import (
    CI_LEVEL_PCT,
    NBSP,
    as_mapping,
    display_name,
    format_change,
    format_date,
    format_number,
    format_p,
    format_pace,
    format_pct,
    md_escape,
)
from analysis.metrics import hr_vo2_line_from_words
from analysis.models import HEAT_ONSET_C
from analysis.models.columns import first_blocks
from analysis.models.inference import (
    REFERENCE_NOTE_START,
    SMALLEST_WORTHWHILE_CHANGE_PCT,
    cell_number,
)
from analysis.models.inference import verdict as judge_verdict
from analysis.models.lab import LAB_DAY_CV_PCT
from analysis.models.pooling import MIN_POOLED_RUNNERS
from analysis.models.power import TARGET_CHANGE_PCT, cheapest_plan, plan, serial_inflation
from analysis.models.prepare import (
    LINEAR_HEAT,
    OUT_OF_LINE,
    OUT_OF_LINE_SDS,
    POST_STRENGTH_DAYS,
    SCREEN_MIN_SD,
    SPEED_SCALE,
    clock_time,
    clock_words,
    curve_words,
    daniels_cost_log_ratio,
    design_from,
    post_strength_words,
    time_course_words,
)
from analysis.models.reference import MIN_CONTROLS
from analysis.models.training import CONTROLS_LOAD_NOTE_START, training_load_note
from analysis.physiology import PLAUSIBLE_O2_COST_ML_KG_KM, karvonen_target_hr
from analysis.physiology import VO2_REST_ML_KG_MIN as VO2_REST
from analysis.schema import EXERCISE_CATEGORIES, is_control
from analysis.strength import unknown_exercises

_BLOCK_SOURCE_TEXT = {
    "blocks.csv": "explicit (blocks.csv)",
    "inferred": "inferred from the strength log",
    "squad (control)": "the squad's block dates (control: no strength block of their own)",
    "none": "none: nobody in the squad has a strength block",
}

_VERDICT_TEXT = {
    "improved": "improved: more economical (the whole interval is below zero)",
    "worsened": "worsened: less economical (the whole interval is above zero)",
    "no meaningful change": (
        "no meaningful change: no change larger than {swc} % (the whole interval lies "
        "within the smallest worthwhile change)"
    ),
    "inconclusive": (
        "inconclusive: these data can only detect changes larger than about {mdc} % "
        "(the interval includes zero and changes worth having)"
    ),
}


def training_summary(weekly: pd.DataFrame, block: Mapping | pd.Series) -> str:
    """Running and strength per week in the baseline and in the block (Markdown)."""
    block = as_mapping(block)
    if pd.isna(block.get("block_start")) or weekly.empty:
        return "No block dates: training is shown without a baseline/block comparison."
    week = pd.to_datetime(weekly["week"])
    start, end = pd.Timestamp(block["block_start"]), pd.Timestamp(block["block_end"])
    base = weekly.loc[(week >= pd.Timestamp(block["baseline_start"])) & (week < start)]
    during = weekly.loc[(week >= start) & (week <= end)]
    parts = []
    for label, frame in (("baseline", base), ("block", during)):
        if frame.empty:
            continue
        km = format_number(frame["running_km"].mean(), 0)
        sessions = format_number(frame.get("strength_sessions", pd.Series(0.0)).mean(), 1)
        reps = frame.get("strength_repetitions", pd.Series(0.0)).fillna(0.0).mean()
        work = f" ({format_number(reps, 0)} repetitions)" if reps > 0 else ""
        parts.append(f"{label}: {km} km and {sessions} strength sessions{work} per week")
    text = "Average per week, " + "; ".join(parts) + "."
    cats = [
        (c.replace("_", " "), during[f"strength_sessions_{c}"].mean())
        for c in EXERCISE_CATEGORIES
        if f"strength_sessions_{c}" in during and during[f"strength_sessions_{c}"].sum() > 0
    ]
    if cats:
        text += (
            " In the block, sessions with "
            + ", ".join(f"{md_escape(name)} work {format_number(v, 1)}" for name, v in cats)
            + " per week."
        )
    return text


def blocks_sentence(field_rows: pd.DataFrame) -> str:
    """The blocks of a runner with several, one clause each (Markdown), or ``""`` for one."""
    if len(field_rows) < 2:
        return ""
    parts = []
    for row in field_rows.to_dict("records"):
        verdict = str(row["verdict"])
        if verdict.startswith("insufficient data"):
            outcome = "no estimate (" + md_escape(verdict) + ")"
        else:
            outcome = (
                format_change(row["o2_cost_change_pct"], row["ci_low_pct"], row["ci_high_pct"])
                + ", "
                + md_escape(verdict)
            )
        parts.append(
            f"block {int(row['block'])} ({format_date(row['block_start'])} to "
            f"{format_date(row['block_end'])}): {outcome}"
        )
    return (
        f"{len(parts)} strength blocks, each against its own baseline: "
        + "; ".join(parts)
        + ". A later block's change is on top of what the blocks before it left."
    )


def block_source_text(source: str) -> str:
    """How the block dates were found, in words."""
    return _BLOCK_SOURCE_TEXT.get(str(source), str(source))


def runner_header(
    runner: Mapping | pd.Series, block: Mapping | pd.Series, metrics: pd.DataFrame
) -> str:
    """Markdown title and the runner's period, block and baseline."""
    runner, block = as_mapping(runner), as_mapping(block)
    rid = str(runner["runner_id"])
    name = display_name(runner)
    dates = (
        pd.to_datetime(metrics["date"]) if len(metrics) else pd.Series([], dtype="datetime64[ns]")
    )
    period = (
        f"{format_date(dates.min())} to {format_date(dates.max())} ({len(metrics)} runs)"
        if len(dates)
        else "no runs"
    )
    lines = [
        f"# Running economy: {md_escape(name)}",
        "",
        f"**Runner** {md_escape(rid)} · **group** {md_escape(str(block.get('group', '')))} · "
        f"**training log** {period}  ",
    ]
    if pd.isna(block.get("block_start")):
        lines.append(f"**Strength block** {block_source_text(block.get('block_source', 'none'))}")
    else:
        weeks = block.get("block_weeks")
        weeks_text = f" ({weeks:g} weeks)" if weeks is not None and np.isfinite(weeks) else ""
        lines.append(
            f"**Strength block** {format_date(block['block_start'])} to "
            f"{format_date(block['block_end'])}{weeks_text}, "
            f"{block_source_text(block.get('block_source', ''))}  "
        )
        baseline_end = pd.Timestamp(block["block_start"]) - pd.Timedelta(days=1)
        lines.append(
            f"**Baseline** {format_date(block['baseline_start'])} to {format_date(baseline_end)}"
        )
    return "\n".join(lines)


def _ratio_text(change_pct: float, typical_error_pct: float, verdict: str) -> str:
    """How a clear change compares with one run's typical error ("" when the change
    is not clear: comparing a change nobody can vouch for says nothing)."""
    if verdict not in ("improved", "worsened"):
        return ""
    if not np.isfinite(typical_error_pct) or typical_error_pct <= 0:
        return ""
    ratio = abs(change_pct) / typical_error_pct
    te = format_pct(typical_error_pct, signed=False)
    if ratio < 1:
        return (
            f"; the change is smaller than the typical error of a single run ({te}): "
            "it shows in the trend over many runs, not from one run to the next"
        )
    return f"; the change is {ratio:.1f} times the typical error of a single run ({te})"


def answer_sentence(row: Mapping | pd.Series, name: str | None = None) -> str:
    """The report's answer in one sentence (Markdown), from one :func:`analyze` row.

    Says the change in oxygen cost with its 95 % CI, the verdict and how the
    change compares with the typical error of a single measurement (the
    per-run residual SD, Hopkins 2000). A runner without an estimate gets the
    reason instead.
    """
    row = as_mapping(row)
    who = name or str(row["runner_id"])
    lab = row.get("method") == "lab"
    what = "In the lab tests" if lab else "From the steady runs"
    verdict = str(row.get("verdict", ""))
    change = row.get("o2_cost_change_pct")
    if verdict.startswith("insufficient data") or change is None or not np.isfinite(change):
        reason = verdict.split(":", 1)[1].strip() if ":" in verdict else verdict
        return (
            f"**{what}, the question cannot be answered for {md_escape(who)} yet**: "
            f"{md_escape(reason) or 'no estimate'}."
        )
    control = is_control(row.get("group", ""))
    span = "from before to after the block" if lab else "from the baseline to the end of the block"
    context = " (a control runner, so this is the change without strength work)" if control else ""
    change_text = format_change(change, row["ci_low_pct"], row["ci_high_pct"])
    referenced = ""
    if row.get("reference") == "controls":
        n = int(row.get("n_reference_runners") or 0)
        others = "the other" if control else "the squad's"
        warning = str(row.get("warning") or "")
        controls_moved = ""
        if REFERENCE_NOTE_START in warning and not control:
            controls_moved = (
                f"; the controls' own: {format_pct(row.get('reference_change_pct'))}, "
                "clearly not zero, see Notes"
            )
        elif CONTROLS_LOAD_NOTE_START in warning and not control:
            controls_moved = "; the controls trained differently, see Notes"
        whom = "the other control" if control and n == 1 else f"{others} {n} controls"
        referenced = (
            f", relative to {whom} over the same weeks (its change before "
            f"that: {format_pct(row.get('raw_change_pct'))}{controls_moved})"
        )
    if row.get("pooling") == "group":
        referenced += f" and pooled with the squad's {row['n_pooled_runners']} {_pooled_who(row)}"
    words = _VERDICT_TEXT.get(verdict, verdict).format(
        swc=format_number(row.get("swc_pct"), 1), mdc=format_number(row.get("mdc_pct"), 1)
    )
    sentence = (
        f"{what}, {md_escape(who)}'s oxygen cost of running changed by **{change_text}** "
        f"{span}{referenced}{context}: **{words}**"
        f"{_ratio_text(float(change), float(row.get('typical_error_pct', np.nan)), verdict)}."
    )
    return sentence


def squad_sentence(squad: pd.DataFrame) -> str:
    """The squad model's answer (Markdown) from :func:`analysis.models.squad_model`."""
    rows = squad.set_index("effect")
    notes = "; ".join(n for n in squad["note"].dropna().astype(str).unique() if n)
    if "strength minus control" in rows.index and np.isfinite(
        rows.loc["strength minus control", "estimate_pct"]
    ):
        r = rows.loc["strength minus control"]
        text = (
            "Across the squad, the strength group's change in oxygen cost differed from the "
            f"controls' by **{format_change(r['estimate_pct'], r['ci_low_pct'], r['ci_high_pct'])}** "
            f"(mixed model over {int(r['n_runners'])} runners; CI: {r['ci_method']})."
        )
    else:
        present = [
            e
            for e in ("strength change", "control change")
            if e in rows.index and np.isfinite(rows.loc[e, "estimate_pct"])
        ]
        if not present:
            return f"**No squad estimate**: {md_escape(notes) or 'the squad model could not be fitted'}."
        r = rows.loc[present[0]]
        text = (
            f"Across the squad, the {present[0]} in oxygen cost was "
            f"**{format_change(r['estimate_pct'], r['ci_low_pct'], r['ci_high_pct'])}** "
            f"(mixed model over {int(r['n_runners'])} runners; CI: {r['ci_method']})."
        )
    if notes:
        text += f" Note: {md_escape(notes)}."
    return text


def unknown_exercises_note(strength: pd.DataFrame) -> str:
    """Markdown naming the exercises that were not recognised ("" when none).

    Unrecognised names are counted in the ``other`` category, never dropped;
    the note lets the coach rename them or add a ``category`` column.
    """
    if strength.empty or "exercise" not in strength.columns:
        return ""
    rows = strength
    if "category" in rows.columns:
        rows = rows.loc[rows["category"].astype(object) == "other"]
    names = unknown_exercises(rows["exercise"])
    if not names:
        return ""
    counts = rows["exercise"].astype(str).str.strip().str.lower().value_counts()
    listed = ", ".join(f"{md_escape(n)} ({int(counts.get(n.lower(), 0))})" for n in names)
    return (
        f"Exercise names not recognised, counted as *other* ({len(names)}): {listed}. "
        "Rename them in strength.csv or give a `category` column to classify them."
    )


def squad_header(dataset_name: str, results: pd.DataFrame, blocks: pd.DataFrame) -> str:
    """Markdown title of the squad report: runners per group and the block dates (of
    each runner's first block; runners with later blocks are counted)."""
    every = results.loc[results["method"].eq("field_hr")]
    field = first_blocks(every)
    groups = field["group"].astype(str).value_counts()
    group_text = ", ".join(f"{n} {md_escape(g)}" for g, n in groups.items())
    own = blocks.loc[blocks["runner_id"].isin(field["runner_id"])]
    lines = [
        f"# Squad report: {md_escape(dataset_name)}",
        "",
        f"**Runners** {len(field)} ({group_text})  ",
    ]
    sources = own["block_source"].astype(str).value_counts()
    if own["block_start"].notna().any():
        lines.append(
            f"**Strength blocks** {format_date(own['block_start'].min())} to "
            f"{format_date(own['block_end'].max())}; dates "
            + ", ".join(f"{block_source_text(s)}: {n}" for s, n in sources.items())
        )
    else:
        lines.append("**Strength blocks** none in the squad")
    n_later = every.loc[~every.index.isin(field.index), "runner_id"].nunique()
    if n_later:
        lines[-1] += "  "
        lines.append(
            f"**Later blocks** {n_later} runner(s) with more than one block in blocks.csv: "
            "listed block by block; the squad model and dose-response use first blocks"
        )
    return "\n".join(lines)


def dose_sentence(response: pd.DataFrame, dose: str = "sessions_per_week") -> str:
    """The dose-response slope in words (Markdown), from :func:`analysis.models.dose_response`."""
    rows = response.loc[response["dose"].eq(dose)]
    if rows.empty:
        return "No dose-response estimate."
    r = rows.iloc[0]
    if not np.isfinite(r["slope_pct"]):
        return f"No dose-response estimate: {md_escape(r['note']) or 'not enough runners'}."
    step = f"{r['dose_step']:g} {r['dose_unit']}"
    n = int(r["n_runners"])
    low, high = float(r["ci_low_pct"]), float(r["ci_high_pct"])
    if low < 0 < high:
        reading = (
            "The interval includes zero: these runners show **no clear link** between how "
            "much strength work they did and their change, in either direction."
        )
    elif high < 0:
        reading = "More strength work went with a larger gain in economy."
    else:
        reading = (
            "More strength work went with a *smaller* gain (or a loss) in economy; with "
            "doses the runners chose, fitter or busier runners may simply have done more."
        )
    few = (
        f" With only {n} runners this slope is fragile: one runner can change its sign."
        if n < MIN_DOSE_RUNNERS_FOR_READING
        else ""
    )
    return (
        f"Across {n} strength runners, each additional {step} went with a "
        f"change in oxygen cost of {format_number(r['slope_pct'], 2, signed=True)} percentage points "
        f"(95{NBSP}% CI {format_number(low, 2, signed=True)} to "
        f"{format_number(high, 2, signed=True)}; p {format_p(r['p_value'])}). {reading}{few} "
        "Runners chose or were given their dose, so this is an association, not a dose effect."
    )


MIN_DOSE_RUNNERS_FOR_READING = 10
"""Below this many strength runners the dose sentence says the slope is fragile."""


def _heat_words(onset) -> str:
    """The heat term in words, for the onset the model used (learned per squad)."""
    if onset is None or not np.isfinite(onset):
        onset = HEAT_ONSET_C
    if onset <= LINEAR_HEAT:
        return "air temperature (a linear effect: the squad's data fitted no onset better)"
    return f"heat (air temperature above {onset:g} °C, the onset that fitted the squad best)"


def _speed_words(scale) -> str:
    """The speed offset in words, for the cost-speed curve the model used (learned per squad)."""
    if scale is None or not np.isfinite(scale) or scale == 1.0:
        return (
            "speed (a fixed adjustment along Daniels & Gilbert's cost-speed curve, "
            "so speed cannot absorb the change)"
        )
    return (
        f"speed (a fixed adjustment: {curve_words(scale)}, the curve that fitted the squad best, "
        "so speed cannot absorb the change)"
    )


def _term_words(term: str, onset=None, scale=None, days=None) -> str:
    words = {
        "post_strength_dev": (
            f"residual fatigue from strength work (runs on {post_strength_words(days)}: "
            "their own offset)"
        ),
        "clock_dev": (
            "the time of day (heart rate's daily rhythm, highest in the late afternoon: "
            "the runner's own amplitude)"
        ),
        "temp_c_dev": "air temperature",
        "heat_c_dev": _heat_words(onset),
        "drift_min_dev": "cardiac drift (run time beyond an hour)",
        "device_dev": "a change of heart-rate device (runs.csv's device: its own offset)",
        "shoes_dev": "a change of shoes (runs.csv's shoes: their own offset)",
        "drift_km_dev": "cardiac drift (distance beyond 12 km)",
        "offset(speed_cost_dev)": _speed_words(scale),
    }
    return words.get(term, term.replace("_", " "))


def _hr_vo2_words(row) -> str:
    """How heart rate became VO2 for this row (``hr_vo2_line``)."""
    line = row.get("hr_vo2_line")
    if hr_vo2_line_from_words(line) != (0.0, 1.0):
        return (
            "the fraction of VO2 reserve is read from the fraction of heart-rate reserve on "
            f"the squad's own line, {md_escape(line)} (their heart rate and VO2 together "
            "rejected Swain & Leutholtz's 1:1 line, 1997, which would have scaled every "
            "change by where the line meets zero uptake)"
        )
    return (
        "the fraction of heart-rate reserve is taken as the fraction of VO2 reserve "
        "(Swain & Leutholtz 1997)"
    )


def _se_words(se_method: str) -> str:
    if "Newey-West" in se_method or "HAC" in se_method:
        return (
            "Newey-West standard errors, which stay valid when the residuals of runs on "
            "nearby days are correlated (Newey & West 1987)"
        )
    if se_method.startswith("GLS"):
        return (
            "generalised least squares with serially correlated errors (an AR(1) process in "
            "days plus white noise, variances by REML with a prior learned from the squad; a "
            "model-based alternative to Newey & West 1987)"
        )
    return md_escape(se_method) if se_method else "its standard errors"


def economy_caption(row: Mapping | pd.Series, fit_frame: pd.DataFrame) -> str:
    """What the economy figure shows, with the runner's numbers (Markdown)."""
    row = as_mapping(row)
    n_used = int(fit_frame["used"].astype(bool).sum())
    text = f"{n_used} steady runs entered the model."
    temp, gas = row.get("reference_temp_c"), row.get("reference_gas_m_min")
    if gas is not None and np.isfinite(gas):
        text += (
            f" Reference conditions (the runner's baseline medians): "
            f"{format_number(temp, 1)} °C and {format_number(gas * 0.06, 1)} km/h grade-adjusted."
        )
    coef = row.get("temp_coef_pct_per_c")
    if coef is not None and np.isfinite(coef):
        onset = row.get("heat_onset_c")
        onset = HEAT_ONSET_C if onset is None or not np.isfinite(onset) else onset
        per = "per °C" if onset <= LINEAR_HEAT else f"per °C above {onset:g} °C"
        text += (
            " Heart rate, and with it the estimated cost, changed by "
            f"{format_change(coef, row['temp_coef_ci_low_pct_per_c'], row['temp_coef_ci_high_pct_per_c'], 2)} "
            f"{per}; the filled dots take out this and the other adjustments."
        )
    elif n_used:
        text += " No temperature adjustment (too few runs with an air temperature)."
    days = cell_number(row.get("post_strength_days"))
    tired = _term_size(row, "post_strength")
    if tired and np.isfinite(days) and days >= 0:
        text += (
            f" Runs on {post_strength_words(days)} cost {tired} against the other days "
            "(residual fatigue), also taken out."
        )
    shared = cell_number(row.get("post_strength_shared_pct"))
    if np.isfinite(shared) and np.isfinite(days) and days >= 0:
        text += (
            f" Runs on {post_strength_words(days)} were taken to cost {shared:+.1f} % against "
            "the other days, the same for every runner of the squad (residual fatigue, "
            "learned from the squad's runs), also taken out."
        )
    peak = cell_number(row.get("time_of_day_peak_h"))
    rhythm = _term_size(row, "time_of_day")
    if rhythm and np.isfinite(peak) and peak >= 0:
        text += (
            f" A run at {clock_time(peak)} read {rhythm} against one at "
            f"{clock_time(peak + 12)} (heart rate's daily rhythm), also taken out."
        )
    load = cell_number(row.get("training_load_scale"))
    if np.isfinite(load):
        text += f" {load_words(load).capitalize()}, also taken out."
    return text


def load_words(scale) -> str:
    """The learned training-load offset (``training_load_scale``) in words."""
    return (
        f"running 10 % more over the last four weeks (minutes, against the baseline's) "
        f"read as {100 * (1 - np.exp(-0.1 * float(scale))):.1f} % lower cost from heart "
        "rate, the same for every runner of the squad (fitness and plasma volume "
        "built by the running itself, learned from the squad's runs)"
    )


def _term_size(row: Mapping, stem: str) -> str:
    """A term's size from ``{stem}_pct`` and its CI (``{stem}_ci_low_pct``,
    ``{stem}_ci_high_pct``) as the captions write it, the size alone without a CI;
    "" without a size."""
    size = cell_number(row.get(f"{stem}_pct"))
    if not np.isfinite(size):
        return ""
    low = cell_number(row.get(f"{stem}_ci_low_pct"))
    high = cell_number(row.get(f"{stem}_ci_high_pct"))
    return format_change(size, low, high) if np.isfinite(low + high) else format_pct(size)


def _pooling_words(row: Mapping) -> str:
    """The methods note's sentence on what is pooled with the squad ("" for nothing)."""
    heat = "heat slope pooled" in str(row.get("se_method") or "")
    change = row.get("pooling") == "group"
    if heat and change:
        return (
            f" Its heat slope, then its change (with its group's {row['n_pooled_runners']} "
            "runners), are pooled with the squad's (Laird & Ware 1982; Gelman et al. 2013)."
        )
    if heat:
        return " Its heat slope is pooled with the squad's (Laird & Ware 1982)."
    if change:
        return (
            f" Its change is pooled with its group's {row['n_pooled_runners']} runners "
            "(Gelman et al. 2013)."
        )
    return ""


def _screen_words(row: Mapping) -> str:
    """How runs out of line were found, where this runner had any (else "")."""
    if OUT_OF_LINE not in str(row.get("excluded_reasons") or ""):
        return ""
    return (
        f" Runs more than {format_number(OUT_OF_LINE_SDS, 1)} robust SDs (1.4826 × MAD, at "
        f"least {format_number(100 * SCREEN_MIN_SD, 0)} % of the cost) off a least-squares "
        "fit of the runner's runs are left out: likely sensor errors (a wrist sensor locked "
        "onto the step rate) or sessions that were not steady."
    )


def methods_markdown(row: Mapping | pd.Series, lab_rows: pd.DataFrame | None = None) -> str:
    """The runner report's methods note, with this runner's model (Markdown).

    ``lab_rows`` are the runner's ``lab`` rows of :func:`analysis.models.analyze`;
    when there are any, a paragraph says how the lab change and its CI were
    computed and what the CI leaves out.
    """
    row = as_mapping(row)
    terms = [t.strip() for t in str(row.get("model_terms") or "").split("+")]
    confounders = [
        _term_words(
            t, row.get("heat_onset_c"), row.get("speed_cost_scale"), row.get("post_strength_days")
        )
        for t in terms
        if t and t not in ("1", "ramp")
    ]
    shared = cell_number(row.get("post_strength_shared_pct"))
    if np.isfinite(shared):
        confounders.append(
            f"residual fatigue from strength work (runs on "
            f"{post_strength_words(row.get('post_strength_days'))}: {shared:+.1f} %, "
            "one offset learned from the whole squad)"
        )
    load = cell_number(row.get("training_load_scale"))
    if np.isfinite(load):
        confounders.append(f"the runner's own recent running ({load_words(load)})")
    model = (
        "Log oxygen cost is regressed on a baseline level and a ramp rising linearly through "
        "the block"
        + (", adjusted for " + ", ".join(confounders) if confounders else "")
        + " (centred on the runner's baseline conditions). The change is the ramp's effect "
        "at the end of the block; its 95 % confidence interval comes from "
        + _se_words(str(row.get("se_method") or ""))
        + ". The typical error is the residual variation of a single run (Hopkins 2000)."
        + _pooling_words(row)
    )
    if not row.get("model_terms"):
        model = "This runner could not be modelled: " + md_escape(str(row.get("verdict", ""))) + "."
    return "\n\n".join(
        [
            "## Methods",
            "**Field estimate.** On each steady run (runs left out: see Data quality) "
            + _hr_vo2_words(row)
            + "; VO2 divided by the grade-adjusted speed (Minetti et al. 2002) is the oxygen "
            "cost per kilometre on the flat. Race VDOT follows Daniels & Gilbert (1979)."
            + _screen_words(row),
            f"**Model.** {model}",
            *(
                [
                    "**Lab estimate.** Oxygen cost on each treadmill stage, interpolated to a "
                    "reference speed shared by the tests before and after the block. Its "
                    "confidence interval adds to the stage-to-stage noise of the two tests a "
                    "day-to-day variation of submaximal VO2 per test day (the lab CV in the "
                    "settings; 1.5-3 % in trained runners, Saunders et al. 2004), which two "
                    "tests cannot estimate."
                ]
                if lab_rows is not None and len(lab_rows)
                else []
            ),
            "**Caveat.** Heart rate cannot separate economy from aerobic fitness: a lower heart "
            "rate at the same pace means a lower oxygen cost or a higher VO2max; lab tests, "
            "which measure oxygen uptake, separate them.",
            "*References.* Swain DP, Leutholtz BC (1997) Med Sci Sports Exerc 29:410-414. "
            + (
                "Swain DP et al. (1994) Med Sci Sports Exerc 26:112-116. "
                if np.isfinite(cell_number(row.get("hrmax_line_change_pct")))
                else ""
            )
            + "Daniels J, Gilbert J (1979) Oxygen Power. Minetti AE et al. (2002) J Appl Physiol "
            "93:1039-1046. Newey WK, West KD (1987) Econometrica 55:703-708. Hopkins WG (2000) "
            "Sports Med 30:1-15."
            + (
                " Saunders PU et al. (2004) Med Sci Sports Exerc 36:1972-1976."
                if lab_rows is not None and len(lab_rows)
                else ""
            )
            + (
                " Gelman A et al. (2013) Bayesian Data Analysis."
                if row.get("pooling") == "group"
                else ""
            )
            + (
                " Doma K, Deakin GB (2013) Appl Physiol Nutr Metab 38:651-656. Doma K, Deakin "
                "GB, Bentley DJ (2017) Sports Med, doi:10.1007/s40279-017-0758-3."
                if "post_strength_dev" in terms or np.isfinite(shared)
                else ""
            )
            + (
                " Reilly T, Brooks GA (1990) Chronobiol Int 7:59-67."
                if "clock_dev" in terms
                else ""
            ),
        ]
    )


def squad_methods_markdown(squad: pd.DataFrame, results: pd.DataFrame | None = None) -> str:
    """The squad report's methods note (Markdown), with the CI method actually used
    and, from ``results`` (``analyze``'s rows), the heart rate - VO2 line."""
    lines = [] if results is None or "hr_vo2_line" not in results else results["hr_vo2_line"]
    lab = next((str(v) for v in lines if hr_vo2_line_from_words(v) != (0.0, 1.0)), None)
    how = (
        "(Swain & Leutholtz 1997)"
        if lab is None
        else f"(on the squad's own line, {md_escape(lab)}, which they preferred to "
        "Swain & Leutholtz's 1:1 line)"
    )
    scales = (
        pd.to_numeric(results["hrmax_line_scale"], errors="coerce")
        if results is not None and "hrmax_line_scale" in results
        else pd.Series(dtype=float)
    )
    line_note = (
        f" Read on Swain et al.'s (1994) %HRmax line instead, which runs alone cannot rule "
        f"out, each change would be about {format_number(scales.median(), 1)} times as large "
        "(each runner report gives both; lab tests with heart rate at each stage, for at "
        "least 3 runners, settle which line holds)."
        if lab is None and scales.notna().any()
        else ""
    )
    methods = sorted({str(m) for m in squad["ci_method"].dropna() if str(m)})
    random = sorted({str(m) for m in squad["random_effects"].dropna() if str(m)})
    ci_text = (
        "Its confidence intervals: " + "; ".join(md_escape(m) for m in methods) + "."
        if methods
        else "The squad model could not be fitted."
    )
    return "\n\n".join(
        [
            "## Methods",
            "Each runner's change comes from their own model (see a runner report): log oxygen "
            f"cost, estimated from heart rate on steady runs {how} at "
            "grade-adjusted speed (Minetti et al. 2002), on a baseline level and a ramp "
            "through the block (or a plateau or a late start, where the squad's runs favour "
            "one) with "
            "adjustments for the conditions of each run. Its confidence interval comes from "
            "generalised least squares with serially correlated errors (an AR(1) process in "
            "days plus white noise, variances by REML; Diggle 1988), weighted by what the "
            f"whole squad's runs show (Laird 1978). With at least {MIN_CONTROLS} controls, each runner's "
            "headline change is relative to the controls' change over the same dates "
            f"(difference in differences). In a group (strength, controls) of at least {MIN_POOLED_RUNNERS} "
            "runners with an estimate, each runner's change is partially pooled with the "
            "group's: a normal hierarchical model with the spread between runners integrated "
            "over (Gelman et al. 2013, section 5.4), so a noisy runner leans toward the group; "
            "the dose-response uses each runner's own change. "
            "Control runners are modelled over the squad's block dates." + line_note,
            "The squad model is a linear mixed model over all runners' steady runs with a "
            "random "
            + (" / ".join(md_escape(r) for r in random) if random else "intercept")
            + " per runner (Laird & Ware 1982); the strength-minus-control difference is the "
            "interaction of the ramp with the group. "
            + ci_text
            + " Without a control group a change cannot be separated from seasonal trends. The "
            "dose-response slope is an association across runners, not a controlled dose effect.",
            "**Caveat.** Heart-rate based estimates cannot separate economy from aerobic "
            "fitness; only lab tests measure oxygen uptake directly.",
            "*References.* Swain DP, Leutholtz BC (1997) Med Sci Sports Exerc 29:410-414. "
            + ("Swain DP et al. (1994) Med Sci Sports Exerc 26:112-116. " if line_note else "")
            + "Daniels J, Gilbert J (1979) Oxygen Power. Minetti AE et al. (2002) J Appl Physiol "
            "93:1039-1046. Diggle PJ (1988) Biometrics 44:959-971. Laird N (1978) J Am Stat "
            "Assoc 73:805-811. Laird NM, Ware JH (1982) Biometrics 38:963-974. Gelman A et al. "
            "(2013) Bayesian Data Analysis, 3rd ed.",
        ]
    )


def vo2max_note(parameters: Mapping | pd.Series, runs: pd.DataFrame | None = None) -> str:
    """What the VO2max section says under its chart (Markdown).

    The VO2max used and its source, why a wrong one matters little for the
    change, and, when the runner's log holds the watch's estimates, that they
    are no independent sign of fitness: the watch derives them from the same
    heart rate and pace the field estimate uses (issue 11), unlike a maximal
    lab test.
    """
    parameters = as_mapping(parameters)
    # the source is from a fixed vocabulary (runner_parameters), not user text
    text = (
        f"The analysis used a VO2max of {format_number(parameters['vo2max_ml_kg_min'], 1)} "
        f"ml/kg/min (source: {parameters['vo2max_source']}). A wrong VO2max "
        "scales the oxygen cost of every run alike, so it moves the level of the curve much "
        "more than the change over the block."
    )
    watch = runs is not None and "vo2max_est_ml_kg_min" in runs
    if watch and pd.to_numeric(runs["vo2max_est_ml_kg_min"], errors="coerce").notna().any():
        text += (
            " The watch computes its VO2max estimates from the same heart rate and pace, so "
            "they cannot tell fitness from economy; a maximal lab test can."
        )
    return text


def plan_sentence(row: Mapping | pd.Series, target_pct: float = TARGET_CHANGE_PCT) -> str:
    """What this runner's data can detect, and what it would take to detect ``target_pct``."""
    row = as_mapping(row)
    te = row.get("typical_error_pct")
    if te is None or not np.isfinite(te):
        return ""
    table = plan(te, target_pct=target_pct, inflation=serial_inflation(row))
    best = cheapest_plan(table)
    now = row.get("mdc_pct")
    text = (
        f"**Power.** These data{' with the squad' if row.get('pooling') == 'group' else ''} "
        f"can detect a change of about {format_number(now, 1)} % (80 % power). "
        if now is not None and np.isfinite(now)
        else "**Power.** "
    )
    if best is None:
        return text + (
            f"No plan up to a 12-week baseline and a 16-week block at 7 steady runs a week "
            f"would detect {target_pct:g} % for this runner (per-run typical error "
            f"{format_number(te, 1)} %): the squad estimate is the better guide."
        )
    alone = " on its own runs alone" if row.get("pooling") == "group" else ""
    return text + (
        f"To detect {target_pct:g} %{alone}, plan a {best['baseline_weeks']:g}-week baseline and a "
        f"{best['block_weeks']:g}-week block with {best['runs_per_week']:g} steady runs a week "
        f"(`runeco plan`)."
    )


def _pooled_who(row: Mapping) -> str:
    return "controls" if is_control(row.get("group", "")) else "strength runners"


def pooled_sentence(row: Mapping | pd.Series) -> str:
    """What the runner's own runs alone show beside a pooled headline (Markdown), or ""
    when it was not pooled.

    :mod:`analysis.models.pooling`: the runner's change moved toward the group's
    in proportion to how noisy it is; closer to the truth on average, but it
    leans toward the group.
    """
    row = as_mapping(row)
    if row.get("pooling") != "group":
        return ""
    own = format_change(row["own_change_pct"], row["own_ci_low_pct"], row["own_ci_high_pct"])
    same = row.get("own_verdict") == row.get("verdict")
    verdict = f"the same verdict, {row['own_verdict']}" if same else f"**{row['own_verdict']}**"
    return f"**Without the squad.** This runner's own runs alone, not pooled: {own}, {verdict}."


def settings_markdown(options: Mapping, settings) -> str:
    """The analysis settings a report used, and where they came from (Markdown).

    ``options`` are ``analyze``'s resolved options
    (:meth:`analysis.io.settings.Settings.resolve`), ``settings`` the dataset's
    ``runeco.toml``.
    """
    from_file = {k for k, v in settings.options().items() if options.get(k) == v}
    swc = options.get("swc_pct", SMALLEST_WORTHWHILE_CHANGE_PCT)
    cv = options.get("lab_day_cv_pct", LAB_DAY_CV_PCT)
    reference = "on" if options.get("control_reference", True) else "off"
    parts = [
        ("baseline_weeks", f"baseline {format_number(options['baseline_weeks'], 0)} weeks"),
        ("swc_pct", f"smallest worthwhile change {format_number(swc, 1)} %"),
        ("lab_day_cv_pct", f"lab day-to-day CV {format_number(cv, 1)} %"),
        ("control_reference", f"control reference {reference}"),
    ]
    text = "; ".join(f"{t} (runeco.toml)" if k in from_file else t for k, t in parts)
    return f"**Settings.** {text}."


def _delta_words(delta: float, unit: str, down: str, up: str) -> str:
    """``-4.2, "bpm", "lower", "higher"`` -> "4 bpm lower"; "no different" under 0.5."""
    amount = abs(delta)
    if amount < 0.5:
        return "no different"
    return f"{amount:.0f}{NBSP}{unit} {down if delta < 0 else up}"


def _bpm_words(delta: float) -> str:
    return _delta_words(delta, "bpm", "lower", "higher")


def _pace_words(delta: float) -> str:
    return _delta_words(delta, "s/km", "faster", "slower")


def coach_units_sentence(row: Mapping | pd.Series, parameters: Mapping | pd.Series) -> str:
    """The change in heart rate at the runner's usual pace and in pace at the same
    heart rate (Markdown), or "" when it cannot be said.

    The field model measures oxygen cost from heart rate (%HRR = %VO2R, Swain &
    Leutholtz 1997, or the squad's lab line %HRR = c0 + c1 %VO2R, ``hr_vo2_line``,
    which scales the heart rate below by c1 and adds c0 to the fraction), so the
    change converts back exactly: at the baseline
    reference speed ``v`` the oxygen uptake is ``cost * v``; a change of ``p``
    moves it by ``p * cost * v``, i.e. heart rate by
    ``p * cost * v / (VO2max - 3.5) * (HRmax - HRrest)``; at the same heart
    rate (same oxygen uptake) ``(1 + p) c(v') v' = c(v) v``, so to first order
    the pace moves by ``p / (1 + s)`` times the pace, ``s`` the slope of log cost
    per km against log speed at ``v`` on the curve the model used
    (``speed_cost_scale`` times Daniels & Gilbert's: about +0.2 on theirs, 0
    when cost per km is the same at every speed).
    """
    row, parameters = as_mapping(row), as_mapping(parameters)
    try:
        change = float(row["o2_cost_change_pct"])
        low, high = float(row["ci_low_pct"]), float(row["ci_high_pct"])
        cost = float(row["baseline_o2_cost_ml_kg_km"])
        speed = float(row["reference_gas_m_min"])
        rest = float(parameters["hr_rest_bpm"])
        top = float(parameters["hr_max_bpm"])
        vo2max = float(parameters["vo2max_ml_kg_min"])
    except (KeyError, TypeError, ValueError):
        return ""
    numbers = (change, low, high, cost, speed, rest, top, vo2max)
    if not all(np.isfinite(numbers)) or speed <= 0 or top <= rest or vo2max <= VO2_REST:
        return ""
    vo2 = cost * speed / 1000.0
    c0, c1 = hr_vo2_line_from_words(row.get("hr_vo2_line"))  # %HRR = c0 + c1 %VO2R
    fraction = c0 + c1 * (vo2 - VO2_REST) / (vo2max - VO2_REST)
    if not 0 < fraction < 1:
        return ""
    hr = karvonen_target_hr(fraction, rest, top)
    pace = 60000.0 / speed  # s/km
    scale = row.get("speed_cost_scale")
    scale = float(scale) if scale is not None and np.isfinite(scale) else SPEED_SCALE
    slope = scale * float(daniels_cost_log_ratio(speed * 1.01, speed)) / np.log(1.01)

    def bpm(pct):
        return pct / 100 * vo2 * c1 / (vo2max - VO2_REST) * (top - rest)

    def seconds(pct):
        return pct / 100 / (1.0 + slope) * pace

    against = " net of the controls' change" if row.get("reference") == "controls" else ""
    return (
        f"**In heart rate and pace.** At the baseline's usual pace of {format_pace(pace)} "
        f"(grade-adjusted) heart rate was about {hr:.0f}{NBSP}bpm. The change{against} means "
        f"about **{_bpm_words(bpm(change))}** at that pace ({CI_LEVEL_PCT}{NBSP}% CI from "
        f"{_bpm_words(bpm(low))} to {_bpm_words(bpm(high))}), or about "
        f"**{_pace_words(seconds(change))}** at the same heart rate (from "
        f"{_pace_words(seconds(low))} to {_pace_words(seconds(high))})."
    )


def level_warning(row: Mapping | pd.Series) -> str:
    """A page-1 warning when the runner's level is implausible or rests on default
    parameters (Markdown), or "".

    A level of 270 ml/kg/km is not a runner, it is a wrong HRrest, HRmax or
    VO2max; the change may still be usable (it is relative), but the coach
    must see that first, not on page 3.
    """
    row = as_mapping(row)
    level = row.get("baseline_o2_cost_ml_kg_km")
    lo, hi = PLAUSIBLE_O2_COST_ML_KG_KM
    problems = []
    if level is not None and np.isfinite(level) and not lo <= level <= hi:
        problems.append(
            f"the baseline oxygen cost of {format_number(level, 0)} ml/kg/km is outside the "
            f"plausible {lo:.0f}–{hi:.0f} (trained runners: about 180–220), which usually "
            "means a wrong resting or maximal heart rate or VO2max"
        )
    if bool(row.get("params_defaulted")):
        problems.append(
            "resting heart rate, maximal heart rate or VO2max came from a default: set them "
            "in runners.csv (the data-quality section says which)"
        )
    load_note = training_load_note(
        row.get("training_load_ratio", np.nan), str(row.get("training_load_basis") or "")
    )
    if load_note and not str(row.get("verdict", "")).startswith("insufficient"):
        problems.append(load_note)
    if not problems:
        return ""
    return "**Check first.** " + "; ".join(problems) + "."


def _same_verdict(row: Mapping, low: float, high: float, instead: str = "") -> str:
    """ "the same verdict" when an interval from ``low`` to ``high`` would give the
    row's verdict (judged against its ``swc_pct``), else "the verdict **...**"."""
    swc = cell_number(row.get("swc_pct", SMALLEST_WORTHWHILE_CHANGE_PCT))
    then = judge_verdict(low, high, swc if np.isfinite(swc) else SMALLEST_WORTHWHILE_CHANGE_PCT)
    return (
        "the same verdict"
        if then == str(row.get("verdict", ""))
        else f"the verdict **{then}**{instead}"
    )


def sensitivity_sentence(row: Mapping | pd.Series) -> str:
    """How the answer changes under the documented modelling choice (Markdown), or ""
    when the squad's data chose the documented one (nothing to show).

    ``analyze`` learns the heat onset and the time course from the squad; a
    learned choice can move the answer, so the report gives the answer under
    the documented choice (heat from 15 degC, a ramp over the whole block) beside it.
    """
    row = as_mapping(row)
    other = row.get("sensitivity_change_pct")
    if other is None or not np.isfinite(other):
        return ""
    low, high = row["sensitivity_ci_low_pct"], row["sensitivity_ci_high_pct"]
    same = _same_verdict(row, low, high, " instead")
    onset = row.get("heat_onset_c")
    chosen = []
    if onset is not None and np.isfinite(onset):
        chosen.append(
            "heat across every temperature"
            if onset <= LINEAR_HEAT
            else f"heat from {format_number(onset, 0)}{NBSP}°C"
        )
    chosen.append("a " + time_course_words(design_from(pd.DataFrame([row]))["ramp_weeks"]))
    scale = row.get("speed_cost_scale")
    if scale is not None and np.isfinite(scale) and scale != 1.0:
        chosen.append(curve_words(scale))
    days = row.get("post_strength_days")
    if days is not None and np.isfinite(days) and days != POST_STRENGTH_DAYS:
        shared = cell_number(row.get("post_strength_shared_pct"))
        chosen.append(
            "residual fatigue on "
            + post_strength_words(days)
            + (f" ({shared:+.1f} %, the squad's)" if np.isfinite(shared) else "")
        )
    peak = row.get("time_of_day_peak_h")
    if peak is not None and np.isfinite(peak):
        chosen.append(clock_words(peak))
    load = cell_number(row.get("training_load_scale"))
    if np.isfinite(load):
        chosen.append("heart rate moving with the runner's own recent running")
    documented = md_escape(str(row.get("sensitivity_design", ""))).replace("degC", "°C")
    return (
        f"**Does a modelling choice matter?** The squad's runs favoured {', '.join(chosen)}. "
        f"With the documented choice ({documented}) the change would be "
        f"{format_change(other, low, high)}: {same}."
    )


def hr_line_sentence(row: Mapping | pd.Series) -> str:
    """How the answer reads on Swain et al. (1994)'s %HRmax line instead of the
    documented %HRR = %VO2R line (Markdown), or "" when the squad's lab stages
    decided the line (their own, or 1:1 kept) or there is no such reading
    (``hrmax_line_change_pct``).

    Field data cannot tell the two lines apart, and the size of a change read
    from heart rate depends on which is true (README, "What the numbers mean"),
    so the report gives both, with the verdict each would give.
    """
    row = as_mapping(row)
    other = cell_number(row.get("hrmax_line_change_pct"))
    if not np.isfinite(other):
        return ""
    low, high = (
        cell_number(row.get("hrmax_line_ci_low_pct")),
        cell_number(row.get("hrmax_line_ci_high_pct")),
    )
    same = _same_verdict(row, low, high)
    return (
        "**Which heart-rate line?** Heart rate became oxygen uptake on the documented "
        "%HRR = %VO2R line (Swain & Leutholtz 1997). If this runner's heart rate follows "
        "Swain et al.'s (1994) %HRmax line instead, the change above reads "
        f"{format_change(other, low, high)}: {same}. Runs alone cannot tell the two lines "
        "apart; lab tests with heart rate at each stage, for at least 3 runners of the "
        "squad, can."
    )


def fixes_markdown(problems, ready: bool) -> str:
    """What to change for this runner (Markdown list), from
    :func:`analysis.readiness.runner_readiness`'s ``problems``; "" when none."""
    problems = list(problems or [])
    if not problems:
        return ""
    title = "Worth fixing" if ready else "What to change for an answer"
    items = "\n".join(f"- {md_escape(reason)}: **{md_escape(fix)}**" for reason, fix in problems)
    return f"**{title}.**\n\n{items}"


def exclusion_sentence(before: Mapping | pd.Series, after: Mapping | pd.Series, n_runs: int) -> str:
    """How the answer moves when ``n_runs`` runs are left out (Markdown).

    ``before`` and ``after`` are the runner's ``field_hr`` rows of
    :func:`analysis.models.analyze` on the data with and without those runs.
    """
    before, after = as_mapping(before), as_mapping(after)
    runs = f"{n_runs} run{'s' if n_runs != 1 else ''}"
    if n_runs == 0:
        return (
            "No runs left out: list run ids or days in `exclude_runs` to see how the answer moves."
        )

    def change(row) -> str:
        if not np.isfinite(float(row.get("o2_cost_change_pct", np.nan))):
            return "no estimate (" + md_escape(str(row.get("verdict", ""))) + ")"
        return (
            "**"
            + format_change(row["o2_cost_change_pct"], row["ci_low_pct"], row["ci_high_pct"])
            + "**"
        )

    verdict_before, verdict_after = str(before.get("verdict", "")), str(after.get("verdict", ""))
    verdict = (
        f"the verdict stays *{md_escape(verdict_after)}*"
        if verdict_before == verdict_after
        else f"the verdict changes from *{md_escape(verdict_before)}* to *{md_escape(verdict_after)}*"
    )
    return (
        f"Without the {runs} left out, the change is {change(after)} instead of "
        f"{change(before)}; {verdict}."
    )
