"""Bad input from Python raises the documented exception with a clear message, never
crashes the interpreter: a missing file, a broken script, a wrong parameter, a corrupt or
non-ROOT file; and Ctrl-C cancels a run."""

import os
import signal
import subprocess
import sys
import time

import pytest

import ana
from conftest import EXAMPLES, ROOT, cli

DIMUON = EXAMPLES / "dimuon.ana"
DATA = EXAMPLES / "data" / "Run2012BC_DoubleMuParked_Muons_1000evts.root"


def test_a_missing_input_file_is_an_input_error(tmp_path):
    missing = tmp_path / "nowhere.root"
    with pytest.raises(ana.InputError, match=f"input file {missing} does not exist"):
        ana.Analysis(DIMUON).run([missing], progress=False)
    with pytest.raises(ana.InputError, match="no files match"):
        ana.Analysis(DIMUON).run([str(tmp_path / "*.root")], progress=False)


def test_a_missing_script_is_an_input_error(tmp_path):
    with pytest.raises(ana.InputError, match="cannot read script .*nope.ana"):
        ana.Analysis(tmp_path / "nope.ana")


def test_a_broken_script_is_a_script_error_as_the_cli_prints_it(tmp_path):
    script = tmp_path / "broken.ana"
    script.write_text(
        'input "x.root"\nlet muons = Muon{pt, eta}\nhist h: count(muonz) ~ Reg(6, 0, 6)\n'
    )
    with pytest.raises(ana.ScriptError) as e:
        ana.Analysis(script)
    printed = cli("check", script, check=False).stderr
    # `ana check` adds a note that the input is missing; the diagnostics are the same.
    assert str(e.value) in printed
    assert "muonz" in str(e.value) and "\x1b[" not in str(e.value)
    (d,) = e.value.diagnostics
    assert d.code == "ana::check::unknown_name"
    assert (d.line, d.column) == (3, 15)
    assert "muons" in d.help
    assert isinstance(e.value, ana.AnaError)


def test_a_syntax_error_in_a_script_given_as_text():
    with pytest.raises(ana.ScriptError) as e:
        ana.Analysis(source="hist h: (1 ~ Reg(1, 0, 1)\n", name="inline")
    assert "inline" in str(e.value)
    assert e.value.diagnostics[0].line == 1


def test_a_parameter_of_the_wrong_type_is_a_script_error():
    source = "param ptcut = 20.0\nlet mu = Muon{pt}\nhist h: count(mu[pt > ptcut]) ~ Int(0, 5)\n"
    with pytest.raises(ana.ScriptError) as e:
        ana.Analysis(source=source, name="p", params={"ptcut": "high"})
    assert e.value.diagnostics[0].code == "ana::check::param_value"
    with pytest.raises(ana.ScriptError) as e:
        ana.Analysis(source=source, name="p", params={"nope": 1})
    assert e.value.diagnostics[0].code == "ana::check::unknown_param"
    with pytest.raises(TypeError, match="ptcut"):
        ana.Analysis(source=source, name="p", params={"ptcut": [1, 2]})
    assert ana.Analysis(source=source, name="p", params={"ptcut": 30}).params["ptcut"] == "30.0"


def test_a_corrupt_root_file_is_an_input_error_naming_it(tmp_path):
    corrupt = tmp_path / "corrupt.root"
    data = bytearray(DATA.read_bytes())
    # Keep the header and directory, scramble the baskets.
    for i in range(20000, len(data) - 20000, 7):
        data[i] ^= 0x5A
    corrupt.write_bytes(bytes(data))
    with pytest.raises(ana.InputError, match="corrupt.root"):
        ana.Analysis(DIMUON).run([corrupt], progress=False)
    truncated = tmp_path / "truncated.root"
    truncated.write_bytes(DATA.read_bytes()[:5000])
    with pytest.raises(ana.InputError, match="truncated.root"):
        ana.Analysis(DIMUON).run([truncated], progress=False)
    text = tmp_path / "text.root"
    text.write_text("not ROOT at all\n" * 100)
    with pytest.raises(ana.InputError, match="text.root"):
        ana.Analysis(DIMUON).run([text], progress=False)


def test_writing_over_a_folder_that_is_not_ana_output_is_refused(tmp_path):
    r = ana.Analysis(DIMUON).run(progress=False)
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(ana.AnaError, match="refusing to replace"):
        r.write(tmp_path)
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_ctrl_c_cancels_a_run_within_a_second(tmp_path):
    program = f"""
import sys, time, ana
a = ana.Analysis({str(DIMUON)!r}, engine="interp")
print("ready", flush=True)
try:
    a.run([{str(DATA)!r}] * 3000, threads=1, chunk_entries=10, progress=False)
    print("finished", flush=True)
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""
    p = subprocess.Popen(
        [sys.executable, "-c", program], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert p.stdout.readline().strip() == "ready"
    time.sleep(1.5)
    sent = time.monotonic()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    elapsed = time.monotonic() - sent
    assert out.strip() == "interrupted", err
    assert elapsed < 1.5, elapsed


def test_import_needs_nothing_but_the_module():
    program = "import sys, ana; print(sorted(m for m in ('hist', 'pandas', 'pyarrow', 'numpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_progress_false_prints_nothing(capfd):
    ana.Analysis(DIMUON).run(progress=False)
    assert capfd.readouterr().err == ""


def test_help_has_docstrings():
    assert "run" in ana.Analysis.run.__doc__ and "KeyboardInterrupt" in ana.Analysis.run.__doc__
    assert "hist.Hist" in ana.Result.__doc__


def test_progress_reports_the_entries_merged(monkeypatch):
    calls = []

    class Recorder:
        def update(self, done, total):
            calls.append((done, total))

        def close(self):
            calls.append("closed")

    monkeypatch.setattr(ana, "_Progress", Recorder)
    ana.Analysis(DIMUON).run([DATA, DATA], chunk_entries=100)
    assert calls[-1] == "closed"
    done, total = calls[-2]
    assert (done, total) == (2000, 2000)
    assert all(d <= t for d, t in calls[:-1] if t)
