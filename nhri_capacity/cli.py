"""The ``nhri-capacity`` command line.

Each pipeline step is a subcommand with default paths taken from
:mod:`nhri_capacity.config`, so ``nhri-capacity data`` or
``nhri-capacity briefs`` work from a fresh clone with no arguments.

Problems a user can fix (a missing file, a bad country code, an invalid survey)
are raised as :class:`~nhri_capacity.errors.NHRICapacityError`; :func:`main`
prints their message without a traceback and exits with status 2.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from . import config
from .common.version import toolkit_version
from .errors import BriefParameterError, NHRICapacityError

__all__ = ["cli", "main"]

_SURVEY_HELP = "Survey file (.sav, .dta, .csv or .xlsx)."


def _short_scores(scores):
    """The scores table narrowed to what fits a terminal; the full table goes to -o."""
    from .survey import DIMENSIONS

    short = {
        "case_handling": "case", "campaigns": "campaigns", "law_reform": "law",
        "international_dialogue": "intl", "alliances": "alliances",
    }
    table = scores[["iso3", "institution", "n_respondents", *DIMENSIONS, "composite", "flags"]].copy()
    table["institution"] = table["institution"].str.slice(0, 40)
    for column in [*DIMENSIONS, "composite"]:
        table[column] = table[column].round(0).astype("Int64")
    return table.rename(columns={**short, "n_respondents": "resp"})


def _short_intervals(intervals):
    """Composite with its 5-95% range and rank range, per institution."""
    table = intervals[["iso3", "inst_id", "composite", "composite_p05", "composite_p95", "rank_p05", "rank_p95"]]
    return table.round(1).rename(columns={"composite_p05": "p05", "composite_p95": "p95",
                                          "rank_p05": "rank_best", "rank_p95": "rank_worst"})


def _echo_synthetic_note(data):
    from .survey import SYNTHETIC_NOTICE, is_synthetic

    if is_synthetic(data):
        click.echo(f"NOTE: {SYNTHETIC_NOTICE}.\n")


def _echo_table(df, *, max_rows=None):
    import pandas as pd

    with pd.option_context(
        "display.max_rows", max_rows or len(df) + 1,
        "display.max_columns", None,
        "display.width", 200,
    ):
        click.echo(df.to_string(index=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=toolkit_version(), prog_name="nhri-capacity")
def cli():
    """Score NHRIs' capacity to protect migrants' rights and produce country briefs.

    Run a subcommand with --help for its options. Defaults use the bundled data
    in data/raw/ and write to data/processed/ and reports/.
    """


@cli.command()
@click.option("--refresh", is_flag=True, help="Rebuild the processed tables even when the cache is up to date.")
@click.option("--processed-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=f"Where to write the tables [default: {config.PROCESSED_DATA_DIR}].")
def data(refresh, processed_dir):
    """Build the processed reference tables (UN migrant stock, treaty status).

    Reads the UN DESA workbook and the treaty files in data/raw/, writes Parquet
    tables with provenance under data/processed/, and prints what it read.
    """
    from .reference import build_processed_tables, format_build_summary

    click.echo(format_build_summary(build_processed_tables(processed_dir=processed_dir, refresh=refresh)))


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 2 on any warning).")
def validate(file, strict):
    """Check a survey FILE against the codebook and print a readable report.

    Exits 0 when the file can be scored, 2 when it cannot. Writes nothing.
    """
    from .survey import validate_command

    code, report = validate_command(file, strict=strict)
    click.echo(report)
    sys.exit(code)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path), default=None, required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the scores to OUT (.csv, .xlsx, .parquet, .sav or .dta); without it, print a table.")
@click.option("--spec", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Scoring specification YAML (overrides the bundled default).")
def score(file, output, spec):
    """Score each institution's five capacities and composite from a survey FILE.

    FILE defaults to the bundled synthetic sample.
    """
    from .scoring import score_survey, write_scores
    from .survey import read_survey

    survey = read_survey(file or config.SAMPLE_SURVEY)
    scores = score_survey(survey, spec=spec)
    if output is None:
        _echo_synthetic_note(survey)
        _echo_table(_short_scores(scores))
        click.echo("\nScores 0-100. Write every column (shares answered, regions) with -o FILE.")
    else:
        path = write_scores(scores, output)
        click.echo(f"Wrote {len(scores)} institutions to {path}")


@cli.command()
@click.argument("file", type=click.Path(path_type=Path), default=None, required=False)
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Where to write the audit tables: an .xlsx workbook, or a folder of CSV files "
                   "[default: reports/audit/<survey name>_audit.xlsx].")
@click.option("--spec", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Scoring specification YAML (overrides the bundled default).")
def audit(file, output, spec):
    """Audit the internal consistency of the scores (Cronbach's alpha, correlations, PCA).

    FILE defaults to the bundled synthetic sample.
    """
    from .scoring import audit_scores, format_audit, write_audit
    from .survey import read_survey

    file = file or config.SAMPLE_SURVEY
    survey = read_survey(file)
    result = audit_scores(survey, spec=spec)
    _echo_synthetic_note(survey)
    click.echo(format_audit(result))
    path = write_audit(result, output or config.REPORTS_DIR / "audit" / f"{Path(file).stem}_audit.xlsx")
    click.echo(f"\nWrote the audit tables to {path}")


@cli.command()
@click.argument("file", type=click.Path(path_type=Path), default=None, required=False)
@click.option("-n", "--draws", type=click.IntRange(min=10), default=1000, show_default=True,
              help="Number of method draws.")
@click.option("--seed", type=int, default=12345, show_default=True, help="Random seed (reruns are identical).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the intervals to OUT (.csv, .xlsx, .parquet, .sav or .dta).")
@click.option("--spec", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Scoring specification YAML (overrides the bundled default).")
def intervals(file, draws, seed, output, spec):
    """Show how much each score depends on method choices (weights, normalisation, aggregation).

    FILE defaults to the bundled synthetic sample.
    """
    from .scoring import score_intervals, write_scores
    from .survey import read_survey

    survey = read_survey(file or config.SAMPLE_SURVEY)
    result = score_intervals(survey, n_draws=draws, seed=seed, spec=spec)
    if output is None:
        _echo_synthetic_note(survey)
        _echo_table(_short_intervals(result))
        click.echo(f"\nComposite 0-100 with its 5-95% range over {draws:,} method draws; rank 1 = highest."
                   " Every dimension's range: -o FILE.")
    else:
        path = write_scores(result, output)
        click.echo(f"Wrote intervals for {len(result)} institutions to {path}")


@cli.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"Where to write the survey [default: {config.SAMPLE_SURVEY}].")
@click.option("--seed", type=int, default=None, help="Random seed (default: the one the bundled sample uses).")
@click.option("-n", "--institutions", type=click.IntRange(min=10), default=110, show_default=True,
              help="Number of institutions.")
def sample(output, seed, institutions):
    """Generate the seeded synthetic sample survey (illustrative data, not real results)."""
    from .survey import write_sample

    kwargs = {"n_institutions": institutions}
    if seed is not None:
        kwargs["seed"] = seed
    path = write_sample(output, **kwargs)
    click.echo(f"Wrote synthetic sample survey to {path}")


@cli.command()
@click.option("-f", "--format", "fmt", type=click.Choice(["xlsform", "html", "md"]), default="xlsform",
              show_default=True, help="XLSForm for KoboToolbox/ODK, or a printable questionnaire.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file [default: reports/questionnaire/nhri_migrant_rights.<ext>].")
def instrument(fmt, output):
    """Generate the questionnaire from the codebook (XLSForm, HTML or Markdown)."""
    from .survey import write_questionnaire, write_xlsform

    ext = {"xlsform": "xlsx", "html": "html", "md": "md"}[fmt]
    output = output or config.REPORTS_DIR / "questionnaire" / f"nhri_migrant_rights.{ext}"
    if fmt == "xlsform":
        if output.suffix.lower() != ".xlsx":
            raise click.BadParameter("an XLSForm must be written to a .xlsx file", param_hint="--output")
        path = write_xlsform(output)
    elif output.suffix.lower() not in ({".html", ".htm"} if fmt == "html" else {".md", ".markdown"}):
        raise click.BadParameter(f"--format {fmt} needs a matching file suffix", param_hint="--output")
    else:
        path = write_questionnaire(output)
    click.echo(f"Wrote {path}")


@cli.command()
@click.argument("codes", nargs=-1, metavar="[ISO3]...")
@click.option("--survey", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"{_SURVEY_HELP} [default: the bundled synthetic sample]")
@click.option("-c", "--countries", multiple=True, metavar="ISO3",
              help="Countries to brief, as ISO3 codes: --countries MEX DEU (or MEX,DEU). Default: all.")
@click.option("--all", "all_countries", is_flag=True,
              help="Every country with an institution in the survey (the default).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Briefs made at once, one Jupyter kernel each [default: number of CPUs].")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=f"Output folder [default: {config.BRIEFS_DIR}].")
@click.option("-f", "--format", "formats", default="html,pdf", show_default=True,
              help="Comma-separated brief formats: html, pdf.")
@click.option("--resume", is_flag=True,
              help="Skip briefs already complete for the same survey, template, toolkit and options.")
@click.option("--year", type=int, default=None, help="UN DESA migrant-stock year [default: the latest].")
@click.option("-n", "--draws", type=click.IntRange(min=10), default=1000, show_default=True,
              help="Method draws for the score intervals.")
@click.option("--no-progress", is_flag=True, help="Do not show the progress bar.")
def briefs(codes, survey, countries, all_countries, jobs, out, formats, resume, year, draws, no_progress):
    """Produce country briefs: run notebooks/country_brief.ipynb once per country.

    Each brief goes to OUT/<ISO3>/ (brief.html, brief.pdf, figures/, data.json
    and the executed notebook brief.ipynb); OUT/index.html links them all.
    Countries and the output folder are checked before any notebook runs.
    Exits 0 when every brief was made, 1 when any failed (the others are
    still made), 2 for bad options, an unusable or full output folder, or one
    another batch is using, 130 on Ctrl-C (finished briefs are kept; run
    again with --resume to make the rest).
    """
    from .batch import BatchInterrupted, format_summary, run_batch

    # papermill logs each kernel that died or failed at ERROR ("Kernel died
    # while waiting for execute reply"); the summary reports each brief once.
    logging.getLogger("papermill").setLevel(logging.CRITICAL)

    # `--countries MEX DEU` puts DEU in CODES: accept both, and commas.
    selected = [code.strip() for value in (*countries, *codes) for code in value.split(",") if code.strip()]
    if all_countries and selected:
        raise click.UsageError("Give either --all or country codes, not both.")
    try:
        result = run_batch(
            selected or None, survey=survey, out=out, jobs=jobs, formats=formats,
            resume=resume, year=year, n_draws=draws, progress=not no_progress,
        )
    except BatchInterrupted as stopped:
        click.echo(format_summary(stopped.result))
        sys.exit(stopped.result.exit_code)
    click.echo(format_summary(result))
    sys.exit(result.exit_code)


@cli.command()
@click.option("--survey", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"{_SURVEY_HELP} [default: the bundled synthetic sample]")
@click.option("--theme", default=None, metavar="KEY",
              help="Only the practices serving this agenda theme (key or label, e.g. trafficking_smuggling).")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder [default: reports/compendium/].")
def practices(survey, theme, out):
    """Write the good-practice compendium: HTML, A4 PDF, CSV and XLSX.

    Only practices whose institution consented to publication with its name
    are included, grouped by agenda theme and capacity; never scores or ranks.
    Exits 2 with one line for an unknown theme, or when no practice may be
    published (then nothing is written).
    """
    from .brief import survey_results
    from .survey import SYNTHETIC_NOTICE
    from .training import compendium_data, write_compendium

    results = survey_results(survey)
    counts = compendium_data(results, theme=theme)["counts"]  # checks the theme before writing anything
    written = write_compendium(results, out if out is not None else config.REPORTS_DIR / "compendium", theme=theme)
    if results.synthetic:
        click.echo(f"NOTE: {SYNTHETIC_NOTICE}.\n")
    click.echo(
        f"Published {counts['n_shown']} good practices{f' on theme {theme!r}' if theme else ''}. Left out: "
        f"{counts['n_withheld']} of the {counts['n_reported']} practices reported in the survey "
        "(no consent to publication). Wrote:"
    )
    for path in written.values():
        click.echo(f"  {path}")


@cli.command()
@click.option("--country", metavar="ISO3", default=None, help="A deck about this country's institution.")
@click.option("--region", metavar="NAME", default=None,
              help='A deck about one UN SDG region, e.g. "Latin America and the Caribbean".')
@click.option("--global", "global_", is_flag=True, help="A deck about every surveyed institution (the default).")
@click.option("--survey", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"{_SURVEY_HELP} [default: the bundled synthetic sample]")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder [default: reports/decks/<ISO3, region or global>/].")
@click.option("-n", "--draws", type=click.IntRange(min=10), default=1000, show_default=True,
              help="Method draws for the score ranges.")
def deck(country, region, global_, survey, out, draws):
    """Write a trainer's slide deck: charts (PNG, SVG), PowerPoint deck and PDF handout.

    One of --country, --region or --global; charts are drawn for a projector
    (16:9, large type). Exits 2 for an unknown country or region.
    """
    from .training import build_deck

    if sum(bool(x) for x in (country, region, global_)) > 1:
        raise BriefParameterError("Give only one of --country, --region and --global.")
    files = build_deck(country=country, region=region, survey=survey, out=out, n_draws=draws)
    click.echo(f"Wrote {files['pptx']}\nWrote {files['pdf']}\nWrote {len(files['charts'])} chart files to "
               f"{files['pptx'].parent / 'charts'}")


def main(argv=None):
    """Entry point of the ``nhri-capacity`` console script."""
    try:
        # standalone_mode=False lets our own handler format user errors; click
        # then returns the exit code of --help/--version instead of exiting.
        code = cli.main(args=argv, prog_name="nhri-capacity", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except NHRICapacityError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
