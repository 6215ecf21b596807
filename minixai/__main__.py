"""``python -m minixai ...`` runs the command-line interface (``minixai.cli``)."""
from .cli import main

raise SystemExit(main())
