"""cxbot: a CX Talk channel hub that lives inside LINE WORKS as a bot."""

from pathlib import Path

__version__ = "0.1.0"

# templates/ sits beside the package (the layout is fixed by DESIGN.md), so an
# editable install finds it from the source tree.
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
