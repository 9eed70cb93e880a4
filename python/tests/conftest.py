"""Shared helpers: the repository, the `ana` binary the results are compared with, and a
run of the CLI."""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def ana_binary() -> Path:
    """The CLI built from the same sources: $ANA_BIN, else target/debug/ana, else release."""
    if os.environ.get("ANA_BIN"):
        return Path(os.environ["ANA_BIN"])
    for profile in ("debug", "release"):
        p = ROOT / "target" / profile / "ana"
        if p.exists():
            return p
    pytest.skip("no ana binary: run cargo build first")


def cli(*args, check=True):
    """Runs `ana ARGS` in the repository without colour."""
    env = dict(os.environ, NO_COLOR="1")
    done = subprocess.run(
        [str(ana_binary()), *map(str, args)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if check and done.returncode != 0:
        raise AssertionError(f"ana {args} failed:\n{done.stderr}")
    return done


def cli_run(script, out, *args):
    """`ana run SCRIPT ARGS -o OUT`, and its histograms (hist objects) and cutflow."""
    import hist
    import uhi.io.json

    cli("run", script, "-q", *args, "-o", out)
    with open(out / "histograms.json") as f:
        hists = json.load(f, object_hook=uhi.io.json.object_hook)
    with open(out / "cutflow.json") as f:
        cutflow = json.load(f)
    return {k: hist.Hist(v) for k, v in hists.items()}, cutflow


def shared(name):
    for d in (ROOT.parent / "shared" / "data", ROOT.parent.parent / "shared" / "data"):
        if (d / name).exists():
            return d / name
    return None
