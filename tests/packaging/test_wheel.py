"""The wheel the Dockerfile installs builds, and its ``attrib`` entry point runs in a fresh venv.

No container daemon is available here, so the image itself is not built;
this checks what it depends on: ``pip wheel`` of the project (the
Dockerfile's command), the wheel installed into a new virtual environment,
and the installed package working from there, away from the source tree,
with its data files (Avro schemas, ClickHouse migrations, the Kafka pom).
The dependencies come from this venv's site-packages through a ``.pth``
path (the network is not needed, and the project's editable install there
is not picked up: a path added that way does not run that folder's .pth files).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


#: Run by the fresh venv's python: where attrib comes from, and its data files.
DATA_FILES_SCRIPT = """
import json, importlib.resources as r
import attrib, attrib.faust_app

def names(package, folder, suffix):
    root = r.files(package).joinpath(folder) if folder else r.files(package)
    return sorted(p.name for p in root.iterdir() if p.name.endswith(suffix))

print(json.dumps({
    "file": attrib.__file__,
    "avsc": names("attrib.avro", "", ".avsc"),
    "migrations": names("attrib.analytics", "migrations", ".sql"),
    "local": names("attrib.local", "", ".xml"),
}))
"""


def dockerfile_context() -> list[str]:
    """The paths the Dockerfile's build stage copies (``COPY <src>... <dest>``)."""
    paths: list[str] = []
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            paths += line.split()[1:-1]
    return paths


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built like the image's build stage: from a copy of what the Dockerfile copies
    (so nothing else of the tree, e.g. a stale build/ folder, gets into it)."""
    context = tmp_path_factory.mktemp("context")
    for name in dockerfile_context():
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, context / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, context / name)
    out = tmp_path_factory.mktemp("wheels")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--wheel-dir",
            str(out),
            str(context),
        ],
        check=True,
        timeout=300,
    )
    (built,) = out.glob("attrib-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("venv") / "fresh"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    (Path(purelib) / "_attrib_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def test_dockerfile_copies_every_package_folder() -> None:
    """Each folder pyproject maps to a package is in the image's build context."""
    mapping = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-dir"
    ]
    copied = set(dockerfile_context())
    assert set(mapping.values()) <= copied
    assert {"pyproject.toml", "README.md"} <= copied


def test_wheel_declares_the_projects_dependencies_and_entry_point(wheel: Path) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    with zipfile.ZipFile(wheel) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = zf.read(meta_name).decode()
        entry_points = zf.read(meta_name.replace("METADATA", "entry_points.txt")).decode()
    # Compared as requirements: the metadata orders a range's bounds its own way.
    requires = {
        str(Requirement(line.split(":", 1)[1].strip()))
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:")
    }
    for dependency in project["dependencies"]:
        assert str(Requirement(dependency)) in requires, dependency
    assert "attrib = attrib.cli:main" in entry_points


def test_wheel_holds_exactly_the_source_modules(wheel: Path) -> None:
    setuptools_cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    expected = set()
    for dotted, folder in setuptools_cfg["package-dir"].items():
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT / folder)
            if "__pycache__" not in rel.parts:
                expected.add("/".join([*dotted.split("."), *rel.parts]))
    with zipfile.ZipFile(wheel) as zf:
        found = {name for name in zf.namelist() if name.endswith(".py")}
    assert found == expected


def test_entry_point_runs_from_the_fresh_venv(fresh_venv: Path, tmp_path: Path) -> None:
    attrib = fresh_venv / "bin" / "attrib"
    done = subprocess.run(
        [str(attrib), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    for command in ("collector", "worker", "sink", "report"):
        assert command in done.stdout
    for role in ("collector", "worker", "sink"):  # what the chart runs
        done = subprocess.run(
            [str(attrib), role, "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, (role, done.stderr)


def test_installed_package_is_the_wheels_with_its_data_files(
    fresh_venv: Path, tmp_path: Path
) -> None:
    script = DATA_FILES_SCRIPT
    done = subprocess.run(
        [str(fresh_venv / "bin" / "python"), "-c", script],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "ATTRIB_DATA_DIR": str(tmp_path / "data")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["file"].startswith(str(fresh_venv))  # not the source tree
    assert found["avsc"] == sorted(p.name for p in (ROOT / "avro").glob("*.avsc"))
    assert found["migrations"] == sorted(
        p.name for p in (ROOT / "app" / "analytics" / "migrations").iterdir() if p.suffix == ".sql"
    )
    assert found["local"] == sorted(p.name for p in (ROOT / "app" / "local").glob("*.xml"))


def test_dockerfile_builds_that_wheel_into_a_slim_non_root_image() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert len(stages) >= 2  # multi-stage: no compilers or build files in the image
    assert "slim" in text.split("ARG PYTHON_IMAGE=", 1)[1].splitlines()[0]
    assert "pip wheel --no-deps --wheel-dir /wheels ." in text  # the command tested above
    assert 'ENTRYPOINT ["attrib"]' in text
    user = next(line for line in text.splitlines() if line.startswith("USER "))
    assert user.split()[1].split(":")[0] not in ("0", "root")
    # The chart's security context runs as this uid.
    values = (ROOT / "helm" / "attrib" / "values.yaml").read_text()
    assert f"runAsUser: {user.split()[1].split(':')[0]}" in values
