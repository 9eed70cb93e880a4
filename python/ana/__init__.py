"""ana from Python: compile an analysis script once, run it over ROOT files, and get its
results as ``hist`` histograms, pandas DataFrames and pyarrow Tables.

>>> import ana
>>> a = ana.Analysis("examples/dimuon.ana")
>>> r = a.run()                      # the script's own input; or a list of files and globs
>>> r.hists["mass"]                  # a hist.Hist
>>> r.tables["zmmtable"]             # a pandas.DataFrame
>>> r.cutflow                        # {"all events": 1000, "dimuon": 415, ...}
>>> r.write("out")                   # the files of ``ana run -o out``

``hist``, ``pandas`` and ``pyarrow`` are imported only when those results are used.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

from . import _ana
from ._ana import AnaError, Diagnostic, InputError, ScriptError

__version__ = _ana.__version__
__all__ = [
    "Analysis",
    "Result",
    "Graph",
    "AnaError",
    "ScriptError",
    "InputError",
    "Diagnostic",
]

PathLike = Union[str, "os.PathLike[str]"]


def _param_text(name: str, value: Any) -> str:
    # bool before int: True is an int in Python, but a Bool in ana.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value) if not isinstance(value, float) else repr(value)
    raise TypeError(
        f"parameter {name!r}: {type(value).__name__} values are not script parameters "
        "(give a str, int, float or bool)"
    )


class Analysis:
    """A compiled ana script.

    Analysis(path)                                   a script file
    Analysis(source="...", name="inline")            a script given as text
    Analysis(path, params={"btag": "Jet_btagDeepB"}) with parameters (like ``--set``)

    ``tree`` overrides the script's tree, ``engine`` is ``"jit"`` (default) or
    ``"interp"`` (the reference interpreter).

    Raises ``ScriptError`` when the script has errors (``str(e)`` is what ``ana check``
    prints, ``e.diagnostics`` the same as data), ``InputError`` when the file cannot be read.
    The script is compiled against the branches of its own ``input`` when that file exists;
    ``run`` compiles again only for files whose branch types differ.
    """

    def __init__(
        self,
        path: Optional[PathLike] = None,
        *,
        source: Optional[str] = None,
        name: Optional[str] = None,
        params: Optional[Mapping[str, Any]] = None,
        tree: Optional[str] = None,
        engine: str = "jit",
    ) -> None:
        if (path is None) == (source is None):
            raise ValueError("give a script file, or its text with source=")
        pairs = [(str(k), _param_text(str(k), v)) for k, v in (params or {}).items()]
        self._inner = _ana.Analysis(
            None if path is None else os.fspath(path),
            source,
            name,
            pairs,
            tree,
            engine,
        )

    @property
    def name(self) -> str:
        """The script's path, or the name given with its text."""
        return self._inner.name

    @property
    def params(self) -> Dict[str, str]:
        """Every parameter the script declares, with its value (the default or the one given)."""
        return {n: v for n, v, _ in self._inner.params}

    def graph(self, format: str = "text", level: str = "analysis") -> "Graph":
        """The script's graph: what it computes from what.

        ``format``: ``"text"`` or ``"dot"`` (Graphviz; shown as SVG in Jupyter when the
        ``dot`` program is installed). ``level``: ``"analysis"`` (branches, collections,
        regions, histograms, tables) or ``"ir"`` (the optimized dataflow graph).
        """
        return Graph(self._inner.graph(format, level), format)

    def run(
        self,
        files: Union[None, PathLike, Iterable[PathLike]] = None,
        *,
        threads: Optional[int] = None,
        progress: bool = True,
        max_entries: Optional[int] = None,
        chunk_entries: Optional[int] = None,
        keep_going: bool = False,
    ) -> "Result":
        """Runs the script over ``files`` (paths and glob patterns such as ``"data/*.root"``;
        default: the script's ``input``) on ``threads`` worker threads (default: every core).

        The GIL is released while the run executes; Ctrl-C cancels it within a second and
        raises ``KeyboardInterrupt``. A progress bar (events/s) shows unless
        ``progress=False``. Bad inputs raise ``InputError`` naming the file.
        """
        if files is None:
            given: List[str] = []
        elif isinstance(files, (str, os.PathLike)):
            given = [os.fspath(files)]
        else:
            given = [os.fspath(f) for f in files]
        bar = _Progress() if progress else None
        try:
            raw = self._inner.run(
                given,
                threads or 0,
                max_entries,
                chunk_entries,
                keep_going,
                bar.update if bar else None,
            )
        finally:
            if bar:
                bar.close()
        return Result(raw)

    def __repr__(self) -> str:
        return f"ana.Analysis({self.name!r})"



class _Rows:
    """A run's table as an Arrow C data interface exporter (``__arrow_c_array__``)."""

    def __init__(self, raw: Any, name: str) -> None:
        self._raw, self._name = raw, name

    def __arrow_c_array__(self, requested_schema: Any = None) -> Any:
        return self._raw.table_capsules(self._name)

class Result:
    """The merged results of a run.

    ``hists``: histogram name -> ``hist.Hist`` (exactly what ``hist`` loads from the CLI's
    ``histograms.json``: flow bins, labels, storage). ``tables``: table name ->
    ``pandas.DataFrame``; ``arrow(name)``: the table as a ``pyarrow.Table``, handed over
    without a copy. ``cutflow``: ``{"all events": N, region: n, ...}``. ``write(dir)``: the
    files of ``ana run -o dir``, written the same atomic way.
    """

    def __init__(self, raw: "_ana.Results") -> None:
        self._raw = raw
        self._hists: Optional[Dict[str, Any]] = None
        self._arrow: Dict[str, Any] = {}

    @property
    def entries(self) -> int:
        """Entries read."""
        return self._raw.entries

    @property
    def cutflow(self) -> Dict[str, int]:
        """Events passing each region, after ``"all events"``, in order."""
        return dict(self._raw.cutflow())

    @property
    def hists(self) -> Dict[str, Any]:
        """Histogram name -> ``hist.Hist`` (imports ``hist`` on first use)."""
        if self._hists is None:
            import hist
            import uhi.io.json

            self._hists = {
                name: hist.Hist(
                    json.loads(self._raw.hist_json(name), object_hook=uhi.io.json.object_hook)
                )
                for name in self._raw.hist_names()
            }
        return self._hists

    def arrow(self, name: str) -> Any:
        """The table ``name`` as a ``pyarrow.Table``: its arrays are the run's own memory,
        handed over without a copy (and kept alive by the table)."""
        if name not in self._arrow:
            import pyarrow as pa

            if name not in self._raw.table_names():
                raise ValueError(f"no table named {name!r}")
            # The Arrow PyCapsule interface: pyarrow imports the run's arrays (every column
            # type: lists, strings, nulls) without a copy and releases them when done.
            batch = pa.record_batch(_Rows(self._raw, name))
            self._arrow[name] = pa.Table.from_batches([batch])
        return self._arrow[name]

    @property
    def tables(self) -> Dict[str, Any]:
        """Table name -> ``pandas.DataFrame`` (imports pandas and pyarrow on first use)."""
        return {name: self.arrow(name).to_pandas() for name in self._raw.table_names()}

    def write(self, out_dir: PathLike) -> None:
        """Writes ``histograms.json``, one Parquet folder per table, ``cutflow.json`` and
        ``run.json`` into ``out_dir``, replacing it in one step (as ``ana run -o``)."""
        self._raw.write(os.fspath(out_dir))

    def __repr__(self) -> str:
        return (
            f"<ana.Result: {self.entries} entries, histograms {self._raw.hist_names()}, "
            f"tables {self._raw.table_names()}>"
        )


class Graph(str):
    """A script's graph as text; a Graphviz one (``format="dot"``) shows as SVG in Jupyter
    when the ``dot`` program is installed."""

    def __new__(cls, text: str, format: str = "text") -> "Graph":
        g = super().__new__(cls, text)
        g.format = format
        return g

    def _repr_svg_(self) -> Optional[str]:
        if self.format != "dot":
            return None
        import shutil
        import subprocess

        dot = shutil.which("dot")
        if dot is None:
            return None
        done = subprocess.run([dot, "-Tsvg"], input=self.encode(), capture_output=True)
        return done.stdout.decode() if done.returncode == 0 else None


class _Progress:
    """A progress bar with events/s: tqdm's (a widget in a notebook) when tqdm is
    installed, else one line on stderr when stderr is a terminal; nothing for short runs."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._started = time.monotonic()
        self._last = 0

    def _open(self, total: int) -> None:
        try:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, unit=" events", unit_scale=True, leave=False)
        except ImportError:
            self._bar = _Line(total) if sys.stderr.isatty() else False

    def update(self, done: int, total: int) -> None:
        # Runs shorter than half a second draw nothing.
        if self._bar is None:
            if total == 0 or time.monotonic() - self._started < 0.5:
                return
            self._open(total)
        if self._bar:
            self._bar.update(done - self._last)
            self._last = done

    def close(self) -> None:
        if self._bar:
            self._bar.close()


class _Line:
    def __init__(self, total: int) -> None:
        self.total, self.done, self.started = total, 0, time.monotonic()

    def update(self, n: int) -> None:
        self.done += n
        rate = self.done / max(time.monotonic() - self.started, 1e-9)
        width = 30
        filled = int(width * self.done / self.total) if self.total else width
        sys.stderr.write(
            f"\r[{'=' * filled}{' ' * (width - filled)}] {self.done:,}/{self.total:,} events, "
            f"{rate:,.0f} events/s"
        )
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()
