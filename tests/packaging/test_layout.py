"""The card's folders are installed as one import name, ``attrib``; nothing may be missed."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_python_folder_is_a_listed_package() -> None:
    cfg = _config()
    mapping: dict[str, str] = cfg["package-dir"]
    listed = set(cfg["packages"])
    found = set()
    for dotted, folder in mapping.items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base)
            found.add(".".join([dotted, *rel.parts]) if rel.parts else dotted)
    # a folder mapped explicitly to another package is not part of its parent's tree
    missing = sorted(found - listed)
    assert not missing, f"add to [tool.setuptools] packages: {missing}"


def test_listed_packages_import() -> None:
    for name in _config()["packages"]:
        importlib.import_module(name)


def test_no_clashing_top_level_names_installed() -> None:
    # PyTables installs `tables` and Apache Avro installs `avro`: we must not depend on them,
    # and our own folders must never be importable under those names.
    import importlib.util

    for name in ("tables", "avro", "agents", "app"):
        spec = importlib.util.find_spec(name)
        origin = str(spec.origin or "") if spec is not None else ""
        # Installed distributions (Apache Avro comes with the bench extra's Quix
        # Streams) live in the venv, which may sit inside the checkout: only the
        # repo's own folders must not answer to these names.
        ours = origin.startswith(str(ROOT)) and "site-packages" not in origin
        assert not ours, name


def test_every_data_folder_is_a_listed_package_too() -> None:
    """setuptools warns (at every ``pip install``, the first thing a newcomer sees)
    about a folder of data files that is importable but not listed; list them."""
    cfg = _config()
    listed = set(cfg["packages"])
    mapped = {Path(folder) for folder in cfg["package-dir"].values()}
    missing = []
    for dotted, folder in cfg["package-dir"].items():
        base = ROOT / folder
        for path in base.rglob("*"):
            if not path.is_dir() or "__pycache__" in path.parts:
                continue
            rel = path.relative_to(base)
            if (Path(folder) / rel) in mapped or not any(p.is_file() for p in path.iterdir()):
                continue
            name = ".".join([dotted, *rel.parts])
            if name not in listed:
                missing.append(name)
    assert not missing, f"add to [tool.setuptools] packages (with package-data): {missing}"
