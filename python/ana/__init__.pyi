import os
from typing import Any, Dict, Iterable, Mapping, Optional, Union

from ._ana import AnaError as AnaError
from ._ana import Diagnostic as Diagnostic
from ._ana import InputError as InputError
from ._ana import ScriptError as ScriptError

__version__: str
PathLike = Union[str, os.PathLike[str]]

class Graph(str):
    format: str
    def __new__(cls, text: str, format: str = "text") -> Graph: ...
    def _repr_svg_(self) -> Optional[str]: ...

class Result:
    @property
    def entries(self) -> int: ...
    @property
    def cutflow(self) -> Dict[str, int]: ...
    @property
    def hists(self) -> Dict[str, Any]: ...  # name -> hist.Hist
    @property
    def tables(self) -> Dict[str, Any]: ...  # name -> pandas.DataFrame
    def arrow(self, name: str) -> Any: ...  # pyarrow.Table
    def write(self, out_dir: PathLike) -> None: ...

class Analysis:
    def __init__(
        self,
        path: Optional[PathLike] = None,
        *,
        source: Optional[str] = None,
        name: Optional[str] = None,
        params: Optional[Mapping[str, Union[str, int, float, bool]]] = None,
        tree: Optional[str] = None,
        engine: str = "jit",
    ) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def params(self) -> Dict[str, str]: ...
    def graph(self, format: str = "text", level: str = "analysis") -> Graph: ...
    def run(
        self,
        files: Union[None, PathLike, Iterable[PathLike]] = None,
        *,
        threads: Optional[int] = None,
        progress: bool = True,
        max_entries: Optional[int] = None,
        chunk_entries: Optional[int] = None,
        keep_going: bool = False,
    ) -> Result: ...
