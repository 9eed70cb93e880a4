"""ana.Analysis(...).run(...) gives the CLI's results: histograms bin for bin (values and
variances, flow bins), tables row for row, the cutflow; and Result.write the CLI's files."""

import numpy as np
import pandas as pd
import pytest

import ana
from conftest import EXAMPLES, ROOT, cli_run, shared


def assert_same(result, out, hists, cutflow):
    assert list(result.hists) == list(hists)
    for name, h in hists.items():
        mine = result.hists[name]
        assert mine.axes == h.axes, name
        assert mine.storage_type == h.storage_type, name
        np.testing.assert_array_equal(mine.values(flow=True), h.values(flow=True), err_msg=name)
        if h.variances() is not None:
            np.testing.assert_array_equal(
                mine.variances(flow=True), h.variances(flow=True), err_msg=name
            )
        assert mine.name == h.name
    assert result.cutflow == {
        "all events": cutflow["total"],
        **{s["name"]: s["events"] for s in cutflow["selections"]},
    }
    for name, table in result.tables.items():
        expected = pd.read_parquet(out / name)
        pd.testing.assert_frame_equal(table, expected, check_exact=True)


def same_files(a, b):
    """The outputs that hold no timings, byte for byte."""
    names = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file() and p.name != "run.json")
    assert names == sorted(
        p.relative_to(b) for p in b.rglob("*") if p.is_file() and p.name != "run.json"
    )
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes(), n


def test_dimuon_equals_the_cli(tmp_path):
    script = EXAMPLES / "dimuon.ana"
    hists, cutflow = cli_run(script, tmp_path / "cli")
    r = ana.Analysis(script).run(threads=2, progress=False)
    assert r.cutflow["all events"] == 1000
    assert len(r.tables["zmmtable"]) == r.cutflow["zpeak"] > 0
    assert_same(r, tmp_path / "cli", hists, cutflow)
    r.write(tmp_path / "py")
    same_files(tmp_path / "cli", tmp_path / "py")


@pytest.mark.parametrize("query", [f"q{i}" for i in range(1, 9)])
def test_adl_queries_equal_the_cli_on_synthetic_events(tmp_path, query):
    script = EXAMPLES / "adl" / f"{query}.ana"
    hists, cutflow = cli_run(script, tmp_path / "cli", "--chunk-entries", "5000")
    r = ana.Analysis(script).run(chunk_entries=5000, progress=False)
    assert_same(r, tmp_path / "cli", hists, cutflow)
    r.write(tmp_path / "py")
    same_files(tmp_path / "cli", tmp_path / "py")


def test_q6_with_a_parameter_on_cms_nanoaod(tmp_path):
    nano = shared("nanoAOD_2015_CMS_Open_Data_ttbar.root")
    if nano is None:
        pytest.skip("no shared NanoAOD file")
    script = EXAMPLES / "adl" / "q6.ana"
    hists, cutflow = cli_run(script, tmp_path / "cli", nano, "--set", "btag=Jet_btagDeepB")
    r = ana.Analysis(script, params={"btag": "Jet_btagDeepB"}).run([nano], progress=False)
    assert ana.Analysis(script, params={"btag": "Jet_btagDeepB"}).params["btag"] == "Jet_btagDeepB"
    assert_same(r, tmp_path / "cli", hists, cutflow)


def test_globs_and_threads_give_the_same_results(tmp_path):
    data = ROOT / "tests" / "data"
    script = EXAMPLES / "adl" / "q3.ana"
    one = ana.Analysis(script).run([data / "adl_synth_20k.root"], threads=1, progress=False)
    many = ana.Analysis(script).run([str(data / "adl_synth_*.root")], threads=4, progress=False)
    assert one.cutflow == many.cutflow
    for name in one.hists:
        assert one.hists[name] == many.hists[name]


def test_a_script_given_as_text(monkeypatch):
    source = (EXAMPLES / "dimuon.ana").read_text().replace(
        "data/Run2012BC", "examples/data/Run2012BC"
    )
    # The `input` of a script given as text is relative to the current folder.
    monkeypatch.chdir(ROOT)
    r = ana.Analysis(source=source, name="inline").run(progress=False)
    whole = ana.Analysis(EXAMPLES / "dimuon.ana").run(progress=False)
    assert r.cutflow == whole.cutflow
    assert r.hists["mass"] == whole.hists["mass"]


def test_graph_is_the_cli_graph():
    from conftest import cli

    script = EXAMPLES / "dimuon.ana"
    a = ana.Analysis(script)
    assert a.graph() == cli("graph", script).stdout
    assert a.graph(format="dot") == cli("graph", script, "--dot").stdout
    assert a.graph(level="ir") == cli("graph", script, "--level", "ir").stdout
    assert a.graph(format="dot").format == "dot"


def test_arrow_tables_share_the_run_memory():
    r = ana.Analysis(EXAMPLES / "dimuon.ana").run(progress=False)
    table = r.arrow("zmmtable")
    # The pyarrow buffers are the run's own memory: the rows were not copied.
    addresses = {c[0]: c[2] for c in r._raw.table_columns("zmmtable")}
    for name in table.column_names:
        assert table.column(name).chunk(0).buffers()[1].address == addresses[name]
    assert table.num_rows == len(r.tables["zmmtable"]) > 0
    # The memory outlives the Result.
    del r
    assert table.column("mass").to_pylist() == table.column("mass").to_pylist()


def test_list_string_and_null_columns_equal_the_parquet_table(tmp_path):
    """Lists, strings and missing values reach pyarrow as they are written to Parquet."""
    src = (
        "let mu = Muon{pt, eta, phi, mass, charge}\n"
        'table skim { n = count(mu), pts = mu.pt, second = mu[1].pt,\n'
        '    kind = if count(mu) > 1 then "multi" else "single" }\n'
    )
    a = ana.Analysis(source=src, name="skim")
    r = a.run([str(EXAMPLES / "data" / "Run2012BC_DoubleMuParked_Muons_1000evts.root")], progress=False)
    table = r.arrow("skim")
    assert str(table.schema.field("pts").type) == "list<item: float>"
    assert table.column("second").null_count > 0
    r.write(tmp_path / "out")
    import pyarrow.parquet as pq

    written = pq.read_table(tmp_path / "out" / "skim")
    assert table.to_pylist() == written.to_pylist()
    assert len(r.tables["skim"]) == 1000
