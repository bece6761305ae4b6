"""Data edge: read, validate and quarantine the canonical dataset (``DATA_FORMAT.md``).

``load_dataset(path)`` is the one call (``load_dataset_parts`` reads a Parquet
dataset one part of runners at a time); ``validation_summary`` and
``write_quarantine`` report what was found.
"""

from analysis.errors import DataError
from analysis.io.dataset import Dataset, quarantined_row_count
from analysis.io.load import load_dataset, load_dataset_parts
from analysis.io.summary import validation_summary, write_quarantine

__all__ = [
    "DataError",
    "Dataset",
    "load_dataset",
    "load_dataset_parts",
    "quarantined_row_count",
    "validation_summary",
    "write_quarantine",
]
