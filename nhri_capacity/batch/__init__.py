"""Country briefs in batch: run the brief notebook once per country with papermill.

Every brief is the template ``notebooks/country_brief.ipynb`` executed with
papermill for one country, so a researcher can open the executed notebook and
see exactly what produced the brief. For each country ``<ISO3>`` the batch writes::

    <out>/<ISO3>/brief.ipynb        the executed notebook
    <out>/<ISO3>/brief.html|.pdf    the brief (written by the notebook's last cell)
    <out>/<ISO3>/figures/           its figures (PNG and SVG)
    <out>/<ISO3>/data.json          every number in the brief
    <out>/<ISO3>/.complete.json     marker written last: the inputs of the run
    <out>/index.html                a table linking every brief, written last

and, when a brief fails, only ``<out>/<ISO3>/brief.failed.ipynb`` (the notebook
with its error) and ``<out>/<ISO3>/.kernel.log`` (what the kernel process itself
printed: ipykernel's log, C-level warnings): what it wrote under the names
above, or an earlier run left there, is removed, so nothing looks complete.

How a batch runs
----------------
1. Every input is checked before any kernel starts, and the survey is read
   once (:func:`nhri_capacity.brief.survey_results`: its hash, synthetic
   flag, countries and scores travel with the plan to every step).
   :func:`check_countries` validates every country code: each must be a
   three-letter ISO3 code of a known country with an institution in the
   survey. Only these validated codes, the resolved survey
   path, an int year, an int number of draws, a checked format list and a
   resolved output folder reach papermill, which writes them into the
   notebook as Python literals.
2. The scores and their intervals are computed in that one read, in this
   process, so that every kernel reads them from the on-disk cache instead of
   computing them (and writing the cache) at the same time.
3. The briefs run in parallel in a thread pool; each papermill call starts
   its own kernel process. A kernel that fails to *start* (no reply, a port
   taken between allocation and bind, ...) is retried; a cell that raises
   is not: the brief is marked failed and the batch goes on.
4. A brief is complete when its notebook ran without an error output and
   wrote the files asked for; its ``.complete.json`` marker is written last,
   atomically. ``resume=True`` skips every brief whose marker records the
   same inputs (survey and template SHA-256, toolkit version and a hash of
   the package's files, formats, year, draws) and whose files still exist.

Under faults
------------
* The output folder is created, probe-written and locked before the survey
  is read (:mod:`.folder`): a missing parent, a read-only folder or a full
  disk is one :class:`~nhri_capacity.errors.OutputFolderError` before anything
  in it changes; a second batch on the same folder is refused
  (:class:`~nhri_capacity.errors.OutputFolderBusyError`), and the lock, an
  ``flock`` the system drops when its process ends, is never left stuck.
* Ctrl-C stops the kernels (killed, not left running), removes what the
  briefs that were running had written, keeps the finished briefs, writes
  the index and raises :class:`BatchInterrupted` (its ``result`` says what
  finished); ``resume=True`` then makes the rest.
* A kernel that dies (killed, out of memory, crashed) fails its brief with
  how it ended and in which cell; the other briefs go on.
* A disk that fills up or turns read-only during the batch stops it the way
  Ctrl-C does, with one ``OutputFolderError``.
* Every file the batch writes itself (executed notebook, marker, index) is
  flushed to disk before its rename and the folder after it
  (:mod:`nhri_capacity.common.io`).

Modules
-------
``plan``     every input checked, the survey read once (:class:`~.plan.SurveyFacts`), :func:`check_countries`
``folder``   the output folder: created, probe-written, locked against a second batch
``kernel``   which Jupyter kernel runs the briefs (:func:`resolve_kernel_name`), how it is started and stopped
``execute``  one brief: papermill, retries, error lines
``markers``  ``.complete.json`` and what ``resume=True`` trusts
``run``      :func:`run_brief`, :func:`run_batch`, :func:`format_summary`
``index``    :func:`write_index` (template ``resources/templates/index.html.j2``)
``outcome``  :class:`BriefOutcome`, :class:`BatchResult`, :class:`BatchInterrupted`
"""

from .index import write_index
from .kernel import resolve_kernel_name
from .outcome import BatchInterrupted, BatchResult, BriefOutcome
from .plan import check_countries
from .run import format_summary, run_batch, run_brief

__all__ = [
    "BriefOutcome",
    "BatchResult",
    "BatchInterrupted",
    "check_countries",
    "run_brief",
    "run_batch",
    "format_summary",
    "write_index",
    "resolve_kernel_name",
]
