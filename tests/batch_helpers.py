"""Stand-ins shared by the batch tests: a tiny brief template and a scripted papermill."""

from pathlib import Path

import nbformat

__all__ = ["PARAMETERS_SOURCE", "TINY_BODY", "tiny_template", "FakePapermill"]

PARAMETERS_SOURCE = (
    'country = "MEX"\n'
    "survey = None\n"
    "year = None\n"
    "out_dir = None\n"
    'formats = "html,pdf"\n'
    "n_draws = 1000"
)

# A stand-in for the brief template: same parameters, writes the files the
# batch expects, logs every run, and raises for DEU only.
TINY_BODY = '''\
import json, pathlib
out = pathlib.Path(out_dir)
with open(out.parent / "runs.log", "a") as fh:
    fh.write(country + "\\n")
if country == "DEU":
    raise ValueError("deliberate failure for " + country)
(out / "data.json").write_text(json.dumps({"key_figures": {
    "iso3": country, "country": "<b>Mexico</b>", "institution": "CNDH & co",
    "composite": 55.55, "migrants": 1197624, "migrant_share_pct": 0.93, "icmw_status": "party"}}))
for fmt in formats.split(","):
    (out / f"brief.{fmt}").write_text("<p>brief</p>")
'''


def tiny_template(folder: Path, body: str = TINY_BODY, name: str = "tiny_template.ipynb") -> Path:
    """A notebook with the template's parameters cell and *body* as its one other cell."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell(PARAMETERS_SOURCE)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(body)]
    path = folder / name
    nbformat.write(nb, path)
    return path


class FakePapermill:
    """Stands in for papermill.execute_notebook; plays a scripted list of behaviours,
    in call order, or per country (*by_country*: ISO3 -> behaviour). A behaviour
    that is callable is called as ``action(nb, output_path, parameters, kwargs)``."""

    def __init__(self, script=(), by_country=None):
        self.script = list(script)
        self.by_country = dict(by_country or {})
        self.calls = []

    def __call__(self, input_path, output_path, parameters=None, **kwargs):
        self.calls.append({"input": input_path, "output": output_path, "parameters": parameters, **kwargs})
        if parameters["country"] in self.by_country:
            action = self.by_country[parameters["country"]]
        else:
            action = self.script.pop(0)
        nb = nbformat.read(input_path, as_version=4)
        for cell in nb.cells:
            cell.metadata["papermill"] = {"start_time": None, "status": "pending"}
        if action == "no-start":  # papermill saved the notebook, then the kernel did not reply
            nbformat.write(nb, output_path)
            raise RuntimeError("Kernel didn't respond in 60 seconds")
        for cell in nb.cells:
            cell.metadata["papermill"]["start_time"] = "2024-01-01T00:00:00"
        if action == "cell-raises":
            from papermill.exceptions import PapermillExecutionError

            nbformat.write(nb, output_path)
            raise PapermillExecutionError(1, 1, "boom()", "ValueError", "boom\nsecond line", [])
        if action == "unformatted-traceback":  # IPython failed to format the traceback
            from papermill.exceptions import PapermillExecutionError

            nb.cells[-1].metadata["papermill"]["exception"] = True
            nb.cells[-1].outputs = [
                nbformat.v4.new_output("stream", name="stdout", text="Unexpected exception formatting exception.\n"),
                nbformat.v4.new_output("stream", name="stderr", text=(
                    "Traceback (most recent call last):\n  File \"x.py\", line 1\n"
                    "jinja2.exceptions.TemplateRuntimeError: No filter named 'pct0' found.\n\n"
                    "During handling of the above exception, another exception occurred:\n\n"
                    "tokenize.TokenError: ('EOF in multi-line statement', (301, 0))\n")),
            ]
            nbformat.write(nb, output_path)
            raise PapermillExecutionError(1, 1, "x", "CellExecutionError", "", [])
        if callable(action):
            return action(nb, output_path, parameters, kwargs)
        if action == "error-output":
            nb.cells[-1].outputs = [nbformat.v4.new_output("error", ename="KeyError", evalue="'x'", traceback=[])]
        if action in ("ok", "error-output", "ok-no-files"):
            out = Path(parameters["out_dir"])
            if action != "ok-no-files":
                (out / "data.json").write_text('{"key_figures": {"country": "Mexico"}}')
                for fmt in parameters["formats"].split(","):
                    (out / f"brief.{fmt}").write_text("x")
            nbformat.write(nb, output_path)
            return nb
        raise AssertionError(action)
