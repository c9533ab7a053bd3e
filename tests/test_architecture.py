"""The rooms point one way (README, "The room order"): the infrastructure modules of rentcenter/
import no app; then accounts and projects; then plans; then applications; then lottery; demo
seeding on top. import-linter checks the `layers` contract of pyproject.toml; these tests run
it, so a new back-arrow fails `make test`, and check the contract itself can fail and leaves
no app or module out."""

import subprocess
import sys
import tomllib
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
# rentcenter modules that assemble the site from every app: they sit above all rooms.
ASSEMBLY = {"rentcenter.urls", "rentcenter.wsgi", "rentcenter.asgi", "rentcenter.__init__"}


def importlinter_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def layer_modules(layer: str) -> set[str]:
    return {name.strip() for name in layer.replace("|", ":").split(":")}


def lint_imports(config_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - the venv's own lint-imports
        [str(LINT_IMPORTS), "--config", str(config_path), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def write_config(path: Path, config: dict) -> Path:
    """The contract as an .importlinter (INI) file, which lint-imports reads like pyproject."""
    contract = config["contracts"][0]
    lines = [
        "[importlinter]",
        "root_packages =",
        *(f"    {p}" for p in config["root_packages"]),
        f"exclude_type_checking_imports = {config['exclude_type_checking_imports']}",
        "",
        f"[importlinter:contract:{contract['id']}]",
        f"name = {contract['name']}",
        "type = layers",
        "layers =",
        *(f"    {layer}" for layer in contract["layers"]),
        "ignore_imports =",
        *(f"    {line}" for line in contract["ignore_imports"]),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_rooms_point_one_way():
    result = lint_imports(ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_a_back_arrow_breaks_the_contract(tmp_path):
    """The same contract with plans put above lottery: lottery's imports of plans (its models,
    its admin panel) are then back-arrows, and lint-imports must say so."""
    config = importlinter_config()
    layers = config["contracts"][0]["layers"]
    lottery, plans = layers.index("lottery"), layers.index("plans")
    layers[lottery], layers[plans] = layers[plans], layers[lottery]
    result = lint_imports(write_config(tmp_path / ".importlinter", config))
    assert result.returncode == 1
    assert "BROKEN" in result.stdout
    assert "lottery.models -> plans.models" in result.stdout


def test_the_written_contract_is_the_one_in_pyproject(tmp_path):
    """The INI copy above is faithful: unchanged, it is kept like the original."""
    result = lint_imports(write_config(tmp_path / ".importlinter", importlinter_config()))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_app_and_infrastructure_module_has_a_layer():
    config = importlinter_config()
    in_layers = set().union(*(layer_modules(layer) for layer in config["contracts"][0]["layers"]))
    own_apps = {a.name for a in apps.get_app_configs() if (ROOT / a.name).is_dir()}
    assert own_apps - {"rentcenter"} <= in_layers
    assert own_apps | {"rentcenter"} == set(config["root_packages"])
    infrastructure = {
        f"rentcenter.{path.stem}" for path in (ROOT / "rentcenter").glob("*.py")
    } - ASSEMBLY
    assert infrastructure - in_layers == set()
