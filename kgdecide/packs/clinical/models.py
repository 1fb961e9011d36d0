"""Which trained models answer for a graph version: what ``kgdecide train`` wrote under the home
directory, else the model shipped with kgdecide for exactly that graph version.

The clinical graph ``make run`` builds (the pinned HPO release, the development cases as
evidence) is the same, byte for byte, on every machine, and so is its version. A model trained
for it ships in this package (``models/<graph version>/``: the attention weights, the
calibrations and the recorded default, a few kilobytes), so a fresh machine serves the trained
scorer at once instead of training first; any other graph falls back to the best untrained
scorer until ``kgdecide train`` has run for it.
"""

from __future__ import annotations

from pathlib import Path

from kgdecide.graph.arrays import ArrayGraph

#: Models shipped with the package, one folder per graph version.
SHIPPED = Path(__file__).resolve().parent / "models"
#: The file whose presence says a folder holds a finished training.
MARKER = "default.json"


def version_folder(version: str) -> str:
    """``clinical/hpo/abc`` -> ``clinical__hpo__abc`` (a graph version as one folder name).

    >>> version_folder("clinical/hpo-2025-01-16/abc")
    'clinical__hpo-2025-01-16__abc'
    """
    return version.replace("/", "__")


def trained_dir(home: Path, graph: ArrayGraph) -> Path:
    """Where ``kgdecide train`` writes the models of this graph version."""
    return Path(home) / "models" / version_folder(graph.version)


def model_dir_for(home: Path, graph: ArrayGraph) -> Path:
    """Where this graph version's models are read from: the trained folder under ``home`` when
    training has finished there, else the shipped one for the same version, else the (empty)
    trained folder."""
    trained = trained_dir(home, graph)
    if (trained / MARKER).is_file():
        return trained
    shipped = SHIPPED / version_folder(graph.version)
    return shipped if (shipped / MARKER).is_file() else trained
