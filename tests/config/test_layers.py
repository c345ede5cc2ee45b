"""The import contract of `make lint` (pyproject.toml, [tool.importlinter]) covers the whole
project: every module belongs to a layer, so that a new module cannot slip past the layering
unchecked. (The contract itself is checked by `lint-imports`, which `make lint` runs.)"""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _config():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def _layer_modules() -> set[str]:
    modules = set()
    for contract in _config()["contracts"]:
        if contract["type"] != "layers":
            continue
        for layer in contract["layers"]:
            for part in layer.replace("|", ":").split(":"):
                modules.add(part.strip())
    return modules


def _project_modules():
    for package in _config()["root_packages"]:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts)


def test_every_module_is_in_a_layer():
    layers = _layer_modules()
    outside = sorted(
        module
        for module in _project_modules()
        if not any(module == layer or module.startswith(layer + ".") for layer in layers)
        and module not in {p for p in _config()["root_packages"] if "." not in p}
    )
    assert not outside, f"modules in no layer of the import contract: {outside}"


def test_the_layers_read_from_the_top_down():
    """reports sits above the feature apps, which sit above documents, above accounts and the
    regions, above lib (the order the design names)."""
    (contract,) = [c for c in _config()["contracts"] if c["type"] == "layers"]
    tops = [layer.split(":")[0].split("|")[0].strip() for layer in contract["layers"]]
    assert tops == ["config", "reports", "convergence", "documents", "accounts", "lib"]
