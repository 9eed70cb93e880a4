# The compiled half of the ana package; use the classes of `ana` instead.
from typing import Any, Callable, List, Optional, Tuple

__version__: str

class AnaError(Exception): ...
class ScriptError(AnaError):
    diagnostics: List[Diagnostic]
class InputError(AnaError): ...

class Diagnostic:
    code: str
    message: str
    line: int
    column: int
    label: str
    help: str

class Results:
    entries: int
    def hist_names(self) -> List[str]: ...
    def hist_json(self, name: str) -> str: ...
    def table_names(self) -> List[str]: ...
    def table_columns(self, name: str) -> List[Tuple[str, str, int, int, int]]: ...
    def cutflow(self) -> List[Tuple[str, int]]: ...
    def write(self, out_dir: str) -> None: ...

class Analysis:
    name: str
    params: List[Tuple[str, str, str]]
    def __init__(
        self,
        path: Optional[str] = None,
        source: Optional[str] = None,
        name: Optional[str] = None,
        params: List[Tuple[str, str]] = ...,
        tree: Optional[str] = None,
        engine: str = "jit",
    ) -> None: ...
    def graph(self, format: str = "text", level: str = "analysis") -> str: ...
    def run(
        self,
        files: List[str],
        threads: int = 0,
        max_entries: Optional[int] = None,
        chunk_entries: Optional[int] = None,
        keep_going: bool = False,
        progress: Optional[Callable[[int, int], Any]] = None,
    ) -> Results: ...
