"""The interactive explorer (cosim/explorer.py): one offline HTML file of a sweep store; in a real
headless browser its points, hover, click and axis switch work (skipped where no Chromium is installed)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from cosim.explorer import explorer_data, render, write_explorer
from cosim.search.pareto import pareto_mask
from cosim.search.space import load_space
from cosim.search.store import ResultStore
from cosim.search.sweep import run_sweep
from test_search_toy import install, write_toy_space

BROWSER = next((b for b in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
                if shutil.which(b)), None)


@pytest.fixture(scope="module")
def toy_store(tmp_path_factory):
    install()
    tmp = tmp_path_factory.mktemp("explorer")
    return run_sweep(load_space(write_toy_space(tmp)), tmp / "o", executor="serial", progress=False).store_path


@pytest.fixture(scope="module")
def page(toy_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("page") / "front.html"
    with ResultStore(toy_store) as st:
        write_explorer(st, out, breakdowns=3)
        data = explorer_data(st, breakdowns=3)
    return out, data


def test_one_offline_file(page):
    out, data = page
    html = out.read_text()
    assert "<link" not in html and not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert re.findall(r"https?://[^\s\"'<>]+", html) == ["http://www.w3.org/2000/svg"] * html.count("http://www.w3.org/2000/svg")
    assert "default-src 'none'" in html  # the page may fetch nothing
    blob = html.split('id="cosim-data">', 1)[1].split("</script>", 1)[0]
    assert json.loads(blob) == json.loads(json.dumps(data))


def test_data_has_every_ok_point_and_breakdowns_of_front_points(toy_store, page):
    _, data = page
    with ResultStore(toy_store) as st:
        assert len(data["points"]) == st.count("ok")
    assert 1 <= len(data["layers"]) <= 3 * len({p["workload"] for p in data["points"]})
    one = next(iter(data["layers"].values()))
    assert one["layers"] and sum(r[2] for r in one["layers"]) == pytest.approx(one["latency_s"], rel=1e-9)
    assert all(set(p["recipe"]) >= {"candidate", "sparsity", "allocation", "bits"} for p in data["points"])


def test_no_string_ends_the_data_script():
    html = render({"metrics": [], "maximised": [], "objectives": ["latency_s", "energy_j"], "layers": {},
                   "layers_missing": "", "store": "s", "points": [{"id": 1, "label": "</script><script>alert(1)//"}]})
    assert html.count("</script>") == 2 and "<\\/script><script>alert(1)//" in html


def test_cli_writes_the_explorer(toy_store, tmp_path, capsys):
    from cosim.cli import main

    try:
        main(["plot", str(toy_store.parent), "--html", str(tmp_path / "e.html"), "--html-breakdowns", "1"])
    except SystemExit as e:
        assert e.code in (0, None)
    assert "explorer ->" in capsys.readouterr().out and (tmp_path / "e.html").stat().st_size > 2000
    try:
        main(["pareto", str(toy_store.parent), "--html", str(tmp_path / "p.html")])
    except SystemExit as e:
        assert e.code in (0, None)
    assert "explorer ->" in capsys.readouterr().out and (tmp_path / "p.html").read_text().count("circle") > 0
    with pytest.raises(SystemExit) as e:
        main(["plot", str(toy_store.parent), "--html", str(tmp_path / "e.png")])
    assert e.value.code == 2 and "use a .html name" in capsys.readouterr().err


# What the browser does to the page: counts the points, hovers a front point and clicks one with a
# breakdown through real DOM events, switches the x axis, and writes what it saw into the page.
PROBE = """<pre id="probe"></pre><script>
(function () { var r = {}; try {
  var ev = function (t) { return new MouseEvent(t, {bubbles: true, clientX: 40, clientY: 40}); };
  r.points = document.querySelectorAll("circle.pt").length;
  r.front = [].map.call(document.querySelectorAll("circle.pt.front"), function (c) { return Number(c.getAttribute("data-id")); });
  var c = document.querySelector("circle.pt.front"); r.hovered = Number(c.getAttribute("data-id"));
  c.dispatchEvent(ev("mouseover"));
  r.tip = document.getElementById("tip").textContent; r.tipShown = document.getElementById("tip").style.display;
  var id = Object.keys(window.cosimExplorer.data.layers)[0]; r.clicked = Number(id);
  document.querySelector('circle.pt[data-id="' + id + '"]').dispatchEvent(ev("click"));
  r.rows = document.querySelectorAll("#layers tr").length - 1;
  r.detail = document.getElementById("detail").textContent;
  var x = document.getElementById("xm"); x.value = x.options[x.options.length - 1].value;
  r.xAfter = x.value; x.dispatchEvent(new Event("change"));
  r.countAfter = document.getElementById("count").textContent;
} catch (e) { r.error = String(e); }
document.getElementById("probe").textContent = JSON.stringify(r); })();
</script></body>"""


@pytest.mark.skipif(BROWSER is None, reason="no Chromium installed (apt-get install chromium)")
def test_in_a_headless_browser(page, tmp_path):
    out, data = page
    probe = tmp_path / "probe.html"
    probe.write_text(out.read_text().replace("</body>", PROBE))
    p = subprocess.run([BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", probe.as_uri()],
                       capture_output=True, text=True, timeout=120)
    m = re.search(r'<pre id="probe">(.*?)</pre>', p.stdout, re.S)
    assert m, p.stderr[-2000:]
    import html as html_mod

    r = json.loads(html_mod.unescape(m.group(1)))
    assert "error" not in r, r
    pts = [q for q in data["points"] if q["workload"] == data["points"][0]["workload"]]
    ix, iy = (data["metrics"].index(o) for o in data["objectives"][:2])
    vals = np.array([[q["m"][ix], q["m"][iy]] for q in pts], dtype=float)
    maximise = [o in data["maximised"] for o in data["objectives"][:2]]
    want_front = {q["id"] for q, on in zip(pts, pareto_mask(vals, maximise)) if on}
    assert r["points"] == len(pts) and set(r["front"]) == want_front   # the page's front is the simulator's
    hovered = next(q for q in pts if q["id"] == r["hovered"])
    assert r["tipShown"] == "block" and hovered["label"] in r["tip"] and "recipe" in r["tip"]
    assert f"sparsity: {hovered['recipe']['sparsity']}" in r["tip"]
    assert r["rows"] == len(data["layers"][str(r["clicked"])]["layers"]) and "per-layer breakdown" in r["detail"]
    assert r["countAfter"].startswith(f"{len(pts)} points") and f"over {r['xAfter']} ×" in r["countAfter"]


def test_a_big_store_keeps_its_front_and_a_sample(toy_store, monkeypatch):
    import cosim.explorer as ex
    from cosim.search.front import front_table

    with ResultStore(toy_store) as st:
        n = st.count("ok")
        monkeypatch.setattr(ex, "MAX_POINTS", n // 2)
        data = ex.explorer_data(st, breakdowns=0)
        front = {r["id"] for r in front_table(st, data["objectives"]).front}
    ids = {p["id"] for p in data["points"]}
    assert front <= ids and len(ids) <= n // 2 + len(front) and data["of_points"] == n and not data["layers"]
