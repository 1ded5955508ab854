"""Batch production of country briefs (nhri_capacity.batch).

Fast tests replace papermill with a stand-in; the tests marked ``slow`` start
real kernels (a tiny stand-in template, and once the real template for MEX).
"""

import hashlib
import json
from pathlib import Path

import nbformat
import pytest
from batch_helpers import FakePapermill, tiny_template

from nhri_capacity import batch, config
from nhri_capacity.errors import BriefParameterError


@pytest.fixture(scope="session")
def survey(tmp_path_factory):
    """The bundled sample survey (generated into a temporary folder if absent)."""
    if config.SAMPLE_SURVEY.is_file():
        return config.SAMPLE_SURVEY
    from nhri_capacity.survey.sample import write_sample

    return write_sample(tmp_path_factory.mktemp("survey") / config.SAMPLE_SURVEY.name)


@pytest.fixture(scope="session")
def survey_codes(survey):
    from nhri_capacity.survey.readers import read_survey

    return sorted(set(read_survey(survey)["country"].dropna()))


@pytest.fixture
def tiny(tmp_path):
    return tiny_template(tmp_path)


@pytest.fixture
def no_kernels(monkeypatch):
    """Fail the test if anything tries to execute a notebook."""
    import papermill

    def refuse(*args, **kwargs):
        raise AssertionError("a notebook was executed")

    monkeypatch.setattr(papermill, "execute_notebook", refuse)


# --------------------------------------------------------------------------- #
# check_countries: the only way country codes reach papermill
# --------------------------------------------------------------------------- #
def test_check_countries_normalises_case(survey):
    assert batch.check_countries(["mex", "DEU"], survey=survey) == ["MEX", "DEU"]
    assert batch.check_countries(["MEX", " mex "], survey=survey) == ["MEX"]


def _absent_code(codes):
    # Real ISO3 codes unlikely to have an institution in the sample.
    return next(c for c in ["VAT", "SMR", "LIE", "MCO", "AND", "NRU", "TUV", "PLW"] if c not in codes)


@pytest.mark.parametrize("bad", ["XXX", "mex; import os", "../DEU", "ME", "MEXX", "", "M3X", None, 484])
def test_check_countries_rejects(bad, survey):
    with pytest.raises(BriefParameterError) as err:
        batch.check_countries(["MEX", bad], survey=survey)
    message = str(err.value)
    assert repr(bad) in message
    assert "Available ISO3 codes" in message and "MEX" in message


def test_check_countries_rejects_a_known_country_not_in_the_survey(survey, survey_codes):
    absent = _absent_code(survey_codes)
    with pytest.raises(BriefParameterError, match=f"'{absent}' \\(no institution"):
        batch.check_countries([absent], survey=survey)


def test_check_countries_lists_every_bad_input_and_the_available_codes(survey, survey_codes):
    with pytest.raises(BriefParameterError) as err:
        batch.check_countries(["XXX", "mex; import os", "../DEU", "UAE"], survey=survey)
    message = str(err.value)
    for bad in ["'XXX'", "'mex; import os'", "'../DEU'", "'UAE' (not an ISO3 code; did you mean ARE?)"]:
        assert bad in message
    assert ", ".join(survey_codes) in message


def test_check_countries_single_string_is_one_code(survey):
    assert batch.check_countries("mex", survey=survey) == ["MEX"]
    with pytest.raises(BriefParameterError):
        batch.check_countries("MEX,DEU", survey=survey)
    with pytest.raises(BriefParameterError, match="No countries"):
        batch.check_countries([], survey=survey)


@pytest.mark.parametrize("name", ["missing.sav", "survey.txt", "folder.sav"])
def test_bad_survey_paths_are_refused(tmp_path, name):
    if name == "survey.txt":
        (tmp_path / name).write_text("x")
    if name == "folder.sav":
        (tmp_path / name).mkdir()
    with pytest.raises(BriefParameterError):
        batch.check_countries(["MEX"], survey=tmp_path / name)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"countries": ["XXX"]}, "XXX"),
        ({"countries": ["MEX"], "formats": ("html", "docx")}, "docx"),
        ({"countries": ["MEX"], "year": "2020; import os"}, "year"),
        ({"countries": ["MEX"], "year": True}, "year"),
        ({"countries": ["MEX"], "year": 2019}, "2019; available years"),
        ({"countries": ["MEX"], "jobs": 0}, "jobs"),
        ({"countries": ["MEX"], "n_draws": 2.5}, "n_draws"),
    ],
)
def test_run_batch_validates_before_any_kernel_starts(tmp_path, survey, no_kernels, kwargs, match):
    with pytest.raises(BriefParameterError, match=match):
        batch.run_batch(survey=survey, out=tmp_path / "out", progress=False, **kwargs)
    assert not (tmp_path / "out").exists()


def test_country_folder_must_stay_inside_out(tmp_path, survey, no_kernels):
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (out / "MEX").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(BriefParameterError, match="outside the output folder"):
        batch.run_batch(["MEX"], survey=survey, out=out, progress=False)


def test_resolve_kernel_name_finds_a_kernel_running_this_python():
    from jupyter_client.kernelspec import KernelSpecManager

    name = batch.resolve_kernel_name()
    assert name in batch.kernel.KERNEL_CANDIDATES
    assert batch.kernel.runs_this_python(KernelSpecManager().get_kernel_spec(name).argv)
    with pytest.raises(BriefParameterError, match="No Jupyter kernel named"):
        batch.resolve_kernel_name("no-such-kernel-here")


def test_kernel_for_another_python_is_skipped(tmp_path, monkeypatch):
    """A user-level python3 spec for another interpreter must not be used."""
    import sys

    kernels = tmp_path / "share" / "jupyter" / "kernels"
    for name, exe in [("python3", "/opt/other-python/bin/python3"), ("nhri-capacity", sys.executable)]:
        (kernels / name).mkdir(parents=True)
        spec = {"argv": [exe, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": name, "language": "python"}
        (kernels / name / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))
    assert batch.resolve_kernel_name() == "nhri-capacity"
    assert batch.resolve_kernel_name("python3") == "python3"  # an explicit choice is trusted


# --------------------------------------------------------------------------- #
# run_brief with papermill replaced: retries, failures, markers
# --------------------------------------------------------------------------- #
@pytest.fixture
def fake(monkeypatch):
    import papermill

    def install(*script):
        fake = FakePapermill(script)
        monkeypatch.setattr(papermill, "execute_notebook", fake)
        monkeypatch.setattr(batch.execute.time, "sleep", lambda s: None)
        return fake

    return install


def test_parameters_reaching_papermill_are_validated_literals(tmp_path, survey, tiny, fake):
    pm = fake("ok")
    outcome = batch.run_brief("mex", survey=survey, out_dir=tmp_path, formats="html", template=tiny, year=2020)
    assert outcome.status == "done"
    params = pm.calls[0]["parameters"]
    assert params == {
        "country": "MEX",
        "survey": str(Path(survey).resolve()),
        "year": 2020,
        "out_dir": str((tmp_path / "MEX").resolve()),
        "formats": "html",
        "n_draws": 1000,
    }
    assert pm.calls[0]["output"].startswith(str((tmp_path / "MEX").resolve() / ".brief."))


def test_kernel_that_fails_to_start_is_retried(tmp_path, survey, tiny, fake):
    pm = fake("no-start", "no-start", "ok")
    outcome = batch.run_brief("MEX", survey=survey, out_dir=tmp_path, formats=("html",), template=tiny)
    assert outcome.status == "done", outcome.error
    assert outcome.attempts == 3 and len(pm.calls) == 3
    folder = tmp_path / "MEX"
    assert (folder / "brief.ipynb").is_file()
    marker = json.loads((folder / ".complete.json").read_text())
    assert set(marker["files"]) == {"brief.ipynb", "brief.html", "data.json"}
    assert marker["inputs"]["formats"] == ["html"] and marker["inputs"]["country"] == "MEX"
    assert not list(folder.glob(".brief.*")), "temporary notebooks left behind"


def test_kernel_start_retries_are_limited(tmp_path, survey, tiny, fake):
    fake("no-start", "no-start")
    outcome = batch.run_brief("MEX", survey=survey, out_dir=tmp_path, formats="html", template=tiny, retries=1)
    assert outcome.status == "failed" and outcome.attempts == 2
    assert outcome.error == "RuntimeError: Kernel didn't respond in 60 seconds"
    assert not (tmp_path / "MEX" / ".complete.json").exists()


def test_cell_error_is_not_retried_and_keeps_the_failed_notebook(tmp_path, survey, tiny, fake):
    pm = fake("cell-raises", "ok")
    folder = tmp_path / "MEX"
    folder.mkdir()
    (folder / ".complete.json").write_text("{}")  # from an earlier run: must not survive
    outcome = batch.run_brief("MEX", survey=survey, out_dir=tmp_path, formats="html", template=tiny)
    assert outcome.status == "failed" and len(pm.calls) == 1
    assert outcome.error == "ValueError: boom second line"
    assert outcome.notebook == folder / "brief.failed.ipynb" and outcome.notebook.is_file()
    assert not (folder / ".complete.json").exists()
    assert not (folder / "brief.ipynb").exists()


def test_error_line_found_when_ipython_could_not_format_the_traceback(tmp_path, survey, tiny, fake):
    fake("unformatted-traceback")
    outcome = batch.run_brief("MEX", survey=survey, out_dir=tmp_path, formats="html", template=tiny)
    assert outcome.status == "failed"
    assert outcome.error == "jinja2.exceptions.TemplateRuntimeError: No filter named 'pct0' found."


def test_error_output_in_executed_notebook_fails_the_brief(tmp_path, survey, tiny, fake):
    fake("error-output")
    outcome = batch.run_brief("MEX", survey=survey, out_dir=tmp_path, formats="html", template=tiny)
    assert outcome.status == "failed"
    assert outcome.error == "KeyError: 'x'"
    assert not (tmp_path / "MEX" / ".complete.json").exists()


def test_missing_output_files_fail_the_brief(tmp_path, survey, tiny, fake):
    fake("ok-no-files")
    outcome = batch.run_brief("MEX", survey=survey, out_dir=tmp_path, formats="html,pdf", template=tiny)
    assert outcome.status == "failed"
    assert "did not write data.json, brief.html, brief.pdf" in outcome.error
    assert (tmp_path / "MEX" / "brief.failed.ipynb").is_file()


# --------------------------------------------------------------------------- #
# The survey is read once
# --------------------------------------------------------------------------- #
class SurveyAccess:
    """Counts, in this process, the reads (``read_survey``) of one survey file,
    wherever the toolkit calls it from (every loaded ``nhri_capacity`` module
    holding it is patched), and how often its bytes are hashed
    (``common.io.digest_file``, which ``sha256_file`` calls once per version
    of a file)."""

    def __init__(self, monkeypatch, path):
        import sys

        from nhri_capacity.common import io
        from nhri_capacity.survey.readers import read_survey

        self.path = Path(path).resolve()
        self.reads = 0
        self.hashes = 0
        digest_file = io.digest_file
        io._DIGESTS.clear()  # hashes remembered by earlier tests

        def counting_read(source, *args, **kwargs):
            self.reads += isinstance(source, (str, Path)) and Path(source).resolve() == self.path
            return read_survey(source, *args, **kwargs)

        def counting_digest(source, *args, **kwargs):
            self.hashes += Path(source).resolve() == self.path
            return digest_file(source, *args, **kwargs)

        monkeypatch.setattr(io, "digest_file", counting_digest)
        for name, module in list(sys.modules.items()):
            if name.split(".")[0] == "nhri_capacity" and getattr(module, "read_survey", None) is read_survey:
                monkeypatch.setattr(module, "read_survey", counting_read)


def test_a_batch_reads_and_hashes_the_survey_once(tmp_path, survey, tiny, fake, monkeypatch):
    # An empty results cache: the batch must read the survey itself.
    monkeypatch.setattr(config, "PROCESSED_DATA_DIR", tmp_path / "processed")
    survey_sha = hashlib.sha256(Path(survey).read_bytes()).hexdigest()
    access = SurveyAccess(monkeypatch, survey)
    pm = fake("ok", "ok")
    kwargs = dict(survey=survey, out=tmp_path / "out", formats="html", template=tiny, n_draws=10, progress=False)
    result = batch.run_batch(["MEX", "DEU"], jobs=1, **kwargs)
    assert result.exit_code == 0 and len(pm.calls) == 2
    assert result.synthetic
    assert (access.reads, access.hashes) == (1, 1)
    marker = json.loads((tmp_path / "out" / "MEX" / ".complete.json").read_text())
    assert marker["inputs"]["survey_sha256"] == survey_sha

    # Results cached: a second batch and a single brief never read the file again.
    pm = fake("ok")
    again = batch.run_batch(["MEX"], resume=True, jobs=1, **{**kwargs, "formats": "html,pdf"})
    assert [o.status for o in again.outcomes] == ["done"]
    fake("ok")
    outcome = batch.run_brief("DEU", survey=survey, out_dir=tmp_path / "out", formats="html", template=tiny,
                              n_draws=10)
    assert outcome.status == "done"
    assert (access.reads, access.hashes) == (1, 1)

    # A changed file is a new version: read and hashed again.
    Path(survey).touch()
    access.reads = access.hashes = 0
    fake("ok")
    batch.run_brief("DEU", survey=survey, out_dir=tmp_path / "out", formats="html", template=tiny, n_draws=10)
    assert access.hashes == 1


def test_check_countries_takes_the_survey_as_the_plan_read_it(tmp_path, survey, monkeypatch):
    facts = batch.plan.survey_facts(survey, n_draws=10)
    access = SurveyAccess(monkeypatch, survey)
    assert batch.check_countries(["mex"], facts=facts) == ["MEX"]
    assert batch.check_countries(["mex"], survey=survey, facts=facts) == ["MEX"]
    assert (access.reads, access.hashes) == (0, 0)
    other = tmp_path / "other.csv"
    other.write_text("x")
    with pytest.raises(BriefParameterError, match="not the survey read for this batch"):
        batch.check_countries(["MEX"], survey=other, facts=facts)


def test_countries_of_set_aside_institutions_are_in_the_survey(tmp_path):
    """An institution set aside for broken rows still gets a brief (which then fails with the row errors)."""
    import pandas as pd

    from nhri_capacity import read_survey, write_survey

    path = write_survey(read_survey(config.SAMPLE_SURVEY), tmp_path / "survey.csv")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table.loc[table["inst_id"] == "MEX-01", "ch4_detention_access"] = "7"
    table.to_csv(path, index=False)
    facts = batch.plan.survey_facts(path, n_draws=10)
    assert "MEX" not in set(facts.results.scores["iso3"])
    assert "MEX" in facts.countries and facts.synthetic
    assert batch.check_countries(["MEX", "deu"], facts=facts) == ["MEX", "DEU"]


def test_package_hash_covers_the_whole_package(tmp_path):
    """Resume must rebuild a brief when any file of the toolkit changes, not only the batch's own."""
    import nhri_capacity

    assert batch.markers.PACKAGE_ROOT == Path(nhri_capacity.__file__).resolve().parent
    tree = tmp_path / "pkg"
    (tree / "sub" / "__pycache__").mkdir(parents=True)
    (tree / "sub" / "rules.yaml").write_text("a: 1\n")
    first = batch.markers.tree_sha256(tree)
    (tree / "sub" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (tree / ".hidden").write_text("x")
    assert batch.markers.tree_sha256(tree) == first
    (tree / "sub" / "rules.yaml").write_text("a: 2\n")
    assert batch.markers.tree_sha256(tree) != first


# --------------------------------------------------------------------------- #
# Summary and index
# --------------------------------------------------------------------------- #
def _fake_result(out: Path) -> batch.BatchResult:
    mex = out / "MEX"
    mex.mkdir(parents=True)
    (mex / "data.json").write_text(json.dumps({"key_figures": {
        "country": "Mexico <script>", "institution": "CNDH & partners", "composite": 61.25,
        "migrants": 1197624, "migrant_share_pct": 0.928, "icmw_status": "party"}}))
    (mex / "brief.html").write_text("x")
    files = {"brief.html": mex / "brief.html", "data.json": mex / "data.json"}
    deu = out / "DEU"
    deu.mkdir()
    (deu / "brief.failed.ipynb").write_text("{}")
    return batch.BatchResult(
        outcomes=[
            batch.BriefOutcome("MEX", "done", mex, notebook=mex / "brief.ipynb", files=files),
            batch.BriefOutcome("DEU", "failed", deu, notebook=deu / "brief.failed.ipynb",
                               error="ValueError: <img src=x onerror=alert(1)>"),
        ],
        out=out, index=None, seconds=12.34, synthetic=True,
    )


def test_index_is_escaped_self_contained_and_relative(tmp_path):
    result = _fake_result(tmp_path / "out")
    page = batch.write_index(result).read_text()
    assert 'href="MEX/brief.html"' in page and 'href="DEU/brief.failed.ipynb"' in page
    assert "Mexico &lt;script&gt;" in page and "<script" not in page
    assert "CNDH &amp; partners" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img" not in page
    assert "<td class=\"num\">61</td>" in page and "0.93%" in page and "State party" in page
    assert "1,197,624" in page
    assert "synthetic" in page.lower()
    assert "http://" not in page and "https://" not in page and "<link" not in page


def test_index_columns_are_the_briefs_key_figures(tmp_path):
    import html

    from nhri_capacity.brief import KEY_FIGURES

    page = batch.write_index(_fake_result(tmp_path / "out")).read_text()
    headings = [f"<th>{html.escape(f.heading, quote=False)}</th>" for f in KEY_FIGURES]
    assert "".join(["<th>Country</th><th>ISO3</th>", *headings, "<th>Files</th>"]) in page
    row = next(line for line in page.splitlines() if 'href="MEX/brief.html"' in line and "<td>" in line)
    assert row.count("<td") == len(KEY_FIGURES) + 3


def test_index_is_written_atomically(tmp_path, monkeypatch):
    result = _fake_result(tmp_path / "out")
    index = tmp_path / "out" / "index.html"
    index.write_text("OLD")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("nhri_capacity.common.io.os.replace", broken_replace)
    with pytest.raises(OSError):
        batch.write_index(result)
    assert index.read_text() == "OLD"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["DEU", "MEX", "index.html"]


def test_format_summary_lists_failures_with_their_error_line(tmp_path):
    result = _fake_result(tmp_path / "out")
    result.index = tmp_path / "out" / "index.html"
    text = batch.format_summary(result)
    assert "1 done, 0 skipped (up to date), 1 failed, in 12.3 s" in text
    assert "FAILED DEU: ValueError: <img src=x onerror=alert(1)>" in text
    assert "index.html" in text
    assert result.exit_code == 1


# --------------------------------------------------------------------------- #
# Real kernels
# --------------------------------------------------------------------------- #
@pytest.mark.slow
def test_one_failing_brief_does_not_stop_the_others(tmp_path, survey, tiny):
    out = tmp_path / "out"
    result = batch.run_batch(
        ["MEX", "DEU"], survey=survey, out=out, jobs=2, formats=("html",), template=tiny, n_draws=100
    )
    assert result.exit_code == 1
    assert [o.status for o in result.outcomes] == ["done", "failed"]
    assert (out / "MEX" / ".complete.json").is_file()
    assert (out / "MEX" / "brief.html").is_file()
    deu = out / "DEU"
    assert not (deu / ".complete.json").exists()
    assert not (deu / "brief.ipynb").exists()
    assert (deu / ".kernel.log").is_file() and not (out / "MEX" / ".kernel.log").exists()
    failed_nb = nbformat.read(deu / "brief.failed.ipynb", as_version=4)
    errors = [o for c in failed_nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors and errors[0].evalue == "deliberate failure for DEU"
    summary = batch.format_summary(result)
    assert "FAILED DEU: ValueError: deliberate failure for DEU" in summary
    page = (out / "index.html").read_text()
    assert 'href="MEX/brief.html"' in page and "deliberate failure for DEU" in page


@pytest.mark.slow
def test_kernel_that_dies_at_start_is_retried_then_reported(tmp_path, survey, tiny, monkeypatch):
    import sys

    kernels = tmp_path / "kernels" / "kernels" / "dies-at-start"
    kernels.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-c", "import sys; sys.exit(3)", "{connection_file}"],
            "display_name": "dies", "language": "python"}
    (kernels / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "kernels"))
    monkeypatch.setattr(batch.execute.time, "sleep", lambda s: None)
    outcome = batch.run_brief(
        "MEX", survey=survey, out_dir=tmp_path / "out", formats="html", template=tiny,
        kernel_name="dies-at-start", retries=1,
    )
    assert outcome.status == "failed" and outcome.attempts == 2
    assert "Kernel died" in outcome.error or "Kernel didn't respond" in outcome.error
    assert not (tmp_path / "out" / "runs.log").exists(), "no cell may have run"


@pytest.mark.slow
def test_resume_skips_a_completed_brief(tmp_path, survey, tiny):
    out = tmp_path / "out"
    kwargs = dict(survey=survey, out=out, formats=("html",), template=tiny, n_draws=100, jobs=1)
    first = batch.run_batch(["MEX"], **kwargs)
    assert first.exit_code == 0 and [o.status for o in first.outcomes] == ["done"]
    notebook = out / "MEX" / "brief.ipynb"
    mtime = notebook.stat().st_mtime_ns

    second = batch.run_batch(["MEX"], resume=True, **kwargs)
    assert [o.status for o in second.outcomes] == ["skipped"]
    assert (out / "runs.log").read_text().split() == ["MEX"]
    assert notebook.stat().st_mtime_ns == mtime
    assert "0 done, 1 skipped" in batch.format_summary(second)
    assert 'href="MEX/brief.html"' in (out / "index.html").read_text()

    # A missing output file, or different inputs, make it run again.
    (out / "MEX" / "brief.html").unlink()
    third = batch.run_batch(["MEX"], resume=True, **kwargs)
    assert [o.status for o in third.outcomes] == ["done"]
    fourth = batch.run_batch(["MEX"], resume=True, **{**kwargs, "formats": ("html", "pdf")})
    assert [o.status for o in fourth.outcomes] == ["done"]
    assert (out / "runs.log").read_text().split() == ["MEX", "MEX", "MEX"]


@pytest.mark.slow
def test_real_template_for_mex(tmp_path):
    out = tmp_path / "briefs"
    cwd = Path.cwd()
    result = batch.run_batch(["MEX"], out=out, formats=("html",), n_draws=100)
    assert result.exit_code == 0, batch.format_summary(result)
    folder = out / "MEX"
    for name in ["brief.ipynb", "brief.html", "data.json", ".complete.json"]:
        assert (folder / name).is_file(), name
    assert not (folder / "brief.pdf").exists()
    assert list((folder / "figures").glob("*.png"))
    nb = nbformat.read(folder / "brief.ipynb", as_version=4)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'country = "MEX"' in injected[0].source
    data = json.loads((folder / "data.json").read_text())
    assert data
    page = (out / "index.html").read_text()
    assert 'href="MEX/brief.html"' in page
    assert not list(folder.glob(".brief.*"))
    assert not (folder / ".kernel.log").exists(), "the kernel log is kept only for failed briefs"
    assert Path.cwd() == cwd, "the batch must not change the process's working directory"


def test_batch_refuses_unknown_or_no_formats_before_any_kernel(tmp_path):
    for bad in ("docx", "", ()):
        with pytest.raises(BriefParameterError, match="choose from html, pdf"):
            batch.run_batch(["MEX"], out=tmp_path, formats=bad, progress=False)
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
def test_broken_survey_row_fails_that_country_only(tmp_path):
    """A row with an invalid code fails its country's brief; the other briefs are made."""
    import pandas as pd

    from nhri_capacity import read_survey, write_survey

    path = write_survey(read_survey(config.SAMPLE_SURVEY), tmp_path / "survey.csv")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table.loc[table["inst_id"] == "MEX-01", "ch4_detention_access"] = "7"
    table.to_csv(path, index=False)

    out = tmp_path / "briefs"
    result = batch.run_batch(["MEX", "DEU"], survey=path, out=out, formats=("html",), n_draws=100, progress=False)
    assert result.exit_code == 1
    by_country = {o.country: o for o in result.outcomes}
    assert by_country["DEU"].status == "done"
    assert (out / "DEU" / "brief.html").is_file()
    assert by_country["MEX"].status == "failed"
    assert "SurveyValidationError" in by_country["MEX"].error
    assert (out / "MEX" / "brief.failed.ipynb").is_file()
    assert not (out / "MEX" / ".complete.json").exists()
    summary = batch.format_summary(result)
    assert "FAILED MEX" in summary
