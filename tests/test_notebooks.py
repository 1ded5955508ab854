"""Every notebook: paired with its Jupytext .py, output-free in git, thin, and runnable."""

import ast

import jupytext
import nbformat
import pytest

from nhri_capacity import config

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))


def test_notebooks_exist():
    names = {p.name for p in NOTEBOOKS}
    assert {"country_brief.ipynb", "explore_capacity.ipynb"} <= names


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.stem)
def path(request):
    return request.param


def test_ipynb_in_sync_with_py(path):
    from_py = jupytext.read(path.with_suffix(".py"))
    from_ipynb = jupytext.read(path)

    def cells(notebook):
        return [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", []))) for c in notebook.cells]

    assert cells(from_py) == cells(from_ipynb), f"run `jupytext --sync {path.with_suffix('.py')}`"
    assert from_py.metadata["kernelspec"]["name"] == from_ipynb.metadata["kernelspec"]["name"] == "python3"
    assert from_ipynb.metadata["jupytext"]["formats"] == "ipynb,py:percent"


def test_output_free(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
    assert "papermill" not in nb.metadata, "an executed copy was saved over the source notebook"
    assert "widgets" not in nb.metadata


def test_thin_no_functions_or_classes(path):
    """Only calls and display: logic belongs in the package."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(source)):
            assert not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)), (
                f"{path.name}: {cell.source[:60]!r}"
            )


def test_parameters_cell_first(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])


@pytest.mark.slow
def test_explore_notebook_runs_without_errors(tmp_path):
    import papermill

    out = tmp_path / "explore.ipynb"
    papermill.execute_notebook(
        str(config.NOTEBOOKS_DIR / "explore_capacity.ipynb"), str(out),
        parameters={"n_draws": 100}, cwd=str(config.NOTEBOOKS_DIR), progress_bar=False,
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "can be scored" in text
    assert any("image/png" in o.get("data", {}) for o in outputs), "the need-capacity chart is shown"
