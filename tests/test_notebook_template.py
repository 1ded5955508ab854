"""The country-brief template: parameters, no outputs, in sync with its .py twin."""

import ast

import jupytext
import nbformat
import pytest

from nhri_capacity import config

TEMPLATE = config.BRIEF_TEMPLATE
PAIRED_PY = TEMPLATE.with_suffix(".py")

# The parameters the batch runner passes (nhri_capacity.batch) and their defaults.
DOCUMENTED_PARAMETERS = {
    "country": "MEX",
    "survey": None,
    "year": None,
    "out_dir": None,
    "formats": "html,pdf",
    "n_draws": 1000,
}


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(TEMPLATE, as_version=4)


def _parameters_cells(nb):
    return [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]


def test_exactly_one_parameters_cell_with_the_documented_names(nb):
    cells = _parameters_cells(nb)
    assert len(cells) == 1
    cell = cells[0]
    assert cell.cell_type == "code"
    assert cell is next(c for c in nb.cells if c.cell_type == "code"), "parameters must be the first code cell"
    tree = ast.parse(cell.source)
    assert all(isinstance(node, ast.Assign) and len(node.targets) == 1 for node in tree.body)
    values = {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body}
    assert values == DOCUMENTED_PARAMETERS


def test_papermill_sees_the_same_parameters():
    import papermill

    inferred = papermill.inspect_notebook(str(TEMPLATE))
    assert list(inferred) == list(DOCUMENTED_PARAMETERS)


def test_template_is_output_free(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], cell.source[:60]
            assert cell.execution_count is None, cell.source[:60]
    # Not an executed copy saved over the template.
    assert "papermill" not in nb.metadata
    assert "widgets" not in nb.metadata


def test_kernel_and_pairing_metadata(nb):
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.metadata["kernelspec"]["language"] == "python"
    assert nb.metadata["jupytext"]["formats"] == "ipynb,py:percent"


def test_ipynb_in_sync_with_py():
    from_py = jupytext.read(PAIRED_PY)
    from_ipynb = jupytext.read(TEMPLATE)

    def cells(notebook):
        return [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", []))) for c in notebook.cells]

    assert cells(from_py) == cells(from_ipynb), (
        "notebooks/country_brief.py and .ipynb differ: run `jupytext --sync notebooks/country_brief.py`"
    )
    assert from_py.metadata["kernelspec"]["name"] == from_ipynb.metadata["kernelspec"]["name"]


def test_notebook_is_thin(nb):
    """Only calls and display: no functions or classes defined in the notebook."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(
            line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))
        )
        for node in ast.walk(ast.parse(source)):
            assert not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)), (
                f"logic belongs in the package, not the template: {cell.source[:60]!r}"
            )


def test_template_uses_the_package_api(nb):
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for call in ("survey_results(", "build_brief(", "write_brief_files("):
        assert call in code
