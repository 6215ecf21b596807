"""Teaching assignments generated from the library's own source (see markers.py for the markers)."""
from .grade import grade, report
from .make import make
from .markers import find_regions, marked_files, stub_source
from .registry import ASSIGNMENTS, Assignment, Exercise, all_exercises, get

__all__ = ["ASSIGNMENTS", "Assignment", "Exercise", "get", "all_exercises", "make", "grade", "report", "find_regions",
           "marked_files", "stub_source"]
