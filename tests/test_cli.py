"""The command line: help everywhere, user errors as one message and exit status 2."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from nhri_capacity.cli import cli


def _run(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "nhri_capacity.cli", *args],
        capture_output=True, text=True, timeout=300, **kwargs,
    )


def test_every_subcommand_has_help():
    runner = CliRunner()
    top = runner.invoke(cli, ["--help"])
    assert top.exit_code == 0
    assert set(cli.commands) >= {
        "data", "validate", "score", "audit", "intervals", "sample", "instrument", "briefs", "practices", "deck",
    }
    for name in cli.commands:
        res = runner.invoke(cli, [name, "--help"])
        assert res.exit_code == 0, name
        assert "Usage: " in res.output and name in res.output


def test_version_is_the_toolkit_version():
    from nhri_capacity.common.version import toolkit_version

    res = CliRunner().invoke(cli, ["--version"])
    assert res.exit_code == 0
    assert res.output.strip() == f"nhri-capacity, version {toolkit_version()}"


def test_console_help_exits_zero():
    res = _run("--help")
    assert res.returncode == 0
    assert "briefs" in res.stdout


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["score", "no_such_survey.sav"], "no_such_survey.sav"),
        (["validate", "no_such_survey.sav"], "no_such_survey.sav"),
        (["briefs", "--countries", "XXX", "--format", "html"], "XXX"),
    ],
)
def test_user_errors_print_one_message_and_exit_2(tmp_path, args, fragment):
    res = _run(*args, cwd=tmp_path)
    assert res.returncode == 2, res.stderr + res.stdout
    out = res.stderr + res.stdout
    assert fragment in out
    assert "Traceback" not in out


def test_bad_option_value_exits_2_without_traceback():
    res = _run("instrument", "--format", "xlsform", "-o", "form.txt")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert ".xlsx" in res.stderr


def test_import_stays_light():
    code = (
        "import sys, nhri_capacity;"
        "heavy = [m for m in ('statsmodels', 'seaborn', 'papermill', 'weasyprint', 'pyxform', 'scipy.stats')"
        " if m in sys.modules]; print(heavy)"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "[]"


def test_score_prints_a_narrow_table_with_the_synthetic_note():
    res = CliRunner().invoke(cli, ["score"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0] == "NOTE: Illustrative synthetic data, not real survey results."
    header = lines[2].split()
    assert header[:3] == ["iso3", "institution", "resp"] and "composite" in header
    mex = next(line for line in lines if line.split()[:1] == ["MEX"])
    assert "Mexico" in mex
    assert max(len(line) for line in lines) < 140


def test_score_writes_every_column_with_output(tmp_path):
    import pandas as pd

    res = CliRunner().invoke(cli, ["score", "-o", str(tmp_path / "s.csv")])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "s.csv")
    assert len(table) == 110
    assert {"answered_alliances", "flags", "data_note"} <= set(table.columns)


def test_data_prints_sources_editions_and_row_counts(tmp_path):
    res = CliRunner().invoke(cli, ["data", "--processed-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "migrant_stock: built, 1,974 rows, edition International Migrant Stock 2020" in res.output
    assert "treaty_status: built, 3,474 rows, edition status as compiled in 2022" in res.output
    assert "undesa_pd_2020_ims_stock_by_sex_and_destination.xlsx" in res.output
    assert (tmp_path / "migrant_stock.parquet").is_file()
