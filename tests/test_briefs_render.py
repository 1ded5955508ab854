"""Brief files (nhri_capacity.render.html): HTML, PDF, figures and data.json, no kernel."""

from __future__ import annotations

import copy
import json
import re
import struct

import pytest

from nhri_capacity.brief.model import build_brief
from nhri_capacity.errors import BriefParameterError
from nhri_capacity.render.figures import brief_figures
from nhri_capacity.render.html import _no_network_fetcher, html_to_pdf, render_html, write_brief_files

BANNER = "Illustrative synthetic data, not real survey results"


@pytest.fixture(scope="module")
def written(mex, tmp_path_factory):
    out = tmp_path_factory.mktemp("briefs") / "MEX"
    return out, write_brief_files(mex, out)


def test_every_file_written(written, mex):
    out, files = written
    expected = {"brief.html", "brief.pdf", "data.json"}
    for name in brief_figures(mex):
        expected |= {f"figures/{name}.png", f"figures/{name}.svg"}
    assert set(files) == expected
    for rel, path in files.items():
        assert path == (out / rel).resolve() and path.is_file() and path.stat().st_size > 0
    assert not [p for p in out.rglob(".*")]  # atomic writes leave no temporary files


def test_html_content(written):
    out, _ = written
    html = (out / "brief.html").read_text(encoding="utf-8")
    assert "1,197,624" in html
    assert BANNER in html
    assert "CC BY 3.0 IGO" in html and "International Migrant Stock 2020" in html
    assert "status as compiled in 2022" in html
    for n, title in enumerate(["Migration context", "Treaty ratification", "Capacity profile", "Need and capacity",
                               "Activity on migration themes", "Recommendations", "Good practices from peers",
                               "Constraints and support needed", "Methods and sources"], start=1):
        assert re.search(rf'<span class="num">{n}</span> {re.escape(title)}', html), title


def test_html_self_contained(written):
    out, _ = written
    html = (out / "brief.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "http://" not in html and "https://" not in html
    assert "<link" not in html.lower() and "@import" not in html
    for attr in re.findall(r'(?:src|href)="([^"]*)"', html):
        assert attr.startswith("data:"), attr[:60]
    assert html.count('src="data:image/') == 3  # trend, capacity, need-capacity charts


def test_pdf_pages(written):
    from pypdf import PdfReader

    out, _ = written
    reader = PdfReader(str(out / "brief.pdf"))
    assert 2 <= len(reader.pages) <= 4
    first = reader.pages[0].extract_text()
    assert "ILLUSTRATIVE SYNTHETIC DATA" in first
    last = reader.pages[-1].extract_text()
    assert f"Page {len(reader.pages)} of {len(reader.pages)}" in last
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)  # A4


def test_png_figures_are_300_dpi(written):
    out, files = written
    pngs = [p for rel, p in files.items() if rel.endswith(".png")]
    assert pngs
    for path in pngs:
        data = path.read_bytes()
        i = data.index(b"pHYs")
        x, y, unit = struct.unpack(">IIB", data[i + 4:i + 13])
        assert unit == 1 and round(x * 0.0254) == 300 and round(y * 0.0254) == 300


def test_data_json(written, mex):
    out, _ = written
    text = (out / "data.json").read_text(encoding="utf-8")
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert data == mex.data
    assert text == json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert data["migration"]["migrants"] == 1197624
    assert data["need_capacity"]["complaints_per_10k_migrants"] is None or isinstance(
        data["need_capacity"]["complaints_per_10k_migrants"], float
    )


def test_free_text_is_escaped(mex):
    data = copy.deepcopy(mex.data)
    evil = "<script>alert(1)</script>"
    data["good_practices"][0]["description"] = evil
    data["good_practices"][0]["title"] = 'Title "quoted" & <b>bold</b>'
    data["header"]["institution"] = "<img src=x onerror=alert(1)>"
    data["constraints"]["support_needed"] = [evil]
    html = render_html(data, figures={})
    assert evil not in html and "<img src=x" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_css_page_header_cannot_be_broken_out_of(mex):
    data = copy.deepcopy(mex.data)
    data["header"]["country"] = 'Evil"; } </style><script>alert(1)</script>'
    html = render_html(data, figures={})
    style = html[html.index("<style>"):html.index("</style>")]
    assert "<script" not in style and "</style" not in style[7:]
    assert "<script>" not in html


def test_deu_html(results):
    html = render_html(build_brief("DEU", results=results), figures={})
    assert "15,762,457" in html and BANNER in html
    assert "Not ratified" in html  # Germany has not ratified the ICMW


def test_no_network_fetcher():
    fetch = _no_network_fetcher()
    for url in ("http://example.com/x.png", "https://example.com/f.woff", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            fetch(url)
    response = fetch("data:text/plain;base64,aGk=")
    assert response.read() == b"hi"


def test_pdf_never_fetches_external_resources(tmp_path):
    html = (
        '<html><head><link rel="stylesheet" href="https://example.invalid/x.css"></head>'
        '<body><p>Offline</p><img src="http://example.invalid/x.png"></body></html>'
    )
    target = html_to_pdf(html, tmp_path / "x.pdf")
    assert target.read_bytes().startswith(b"%PDF")


def test_unknown_format_refused(mex, tmp_path):
    with pytest.raises(BriefParameterError, match="docx"):
        write_brief_files(mex, tmp_path, formats=("html", "docx"))
