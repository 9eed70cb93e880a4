"""Executes examples/dimuon.ipynb with nbclient in its own folder (CI); fails on any error
in a cell."""

import sys
from pathlib import Path

import nbclient
import nbformat

notebook = Path(__file__).resolve().parents[2] / "examples" / "dimuon.ipynb"
nb = nbformat.read(notebook, as_version=4)
client = nbclient.NotebookClient(
    nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(notebook.parent)}}
)
client.execute()
images = sum(
    1
    for cell in nb.cells
    for out in cell.get("outputs", [])
    if "image/png" in out.get("data", {})
)
if images == 0:
    sys.exit("the notebook drew no plot")
print(f"{notebook.name}: {len(nb.cells)} cells executed, {images} plot(s)")
