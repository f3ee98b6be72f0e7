"""Where the project's files live, so that code never guesses relative paths."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent.parent
INCLUDE_DIR = PROJECT_ROOT / "include"
SQL_DIR = INCLUDE_DIR / "sql"
CONFIG_DIR = INCLUDE_DIR / "config"
REFERENCE_DIR = INCLUDE_DIR / "reference"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
