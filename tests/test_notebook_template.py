"""The country-brief template: its parameters cell and the package calls it makes.

Hygiene shared by every notebook (in sync, output-free, thin) is in test_notebooks.py.
"""

import ast

import nbformat
import pytest

from nhri_capacity import config

TEMPLATE = config.BRIEF_TEMPLATE

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


def test_template_uses_the_package_api(nb):
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for call in ("survey_results(", "build_brief(", "write_brief_files("):
        assert call in code
