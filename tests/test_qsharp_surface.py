"""The Q# project's house rules, read from its sources: the public surface is exactly Main.qs's export list (every
other callable is `internal`), no file imports a name it does not use, and the oracles never reach up into the
Carleman layer."""

import re
from pathlib import Path

from pyqgd.quantum import qsharp_project_root

SRC = qsharp_project_root() / "src"
DECL = re.compile(r"^((?:@\w+\([^)]*\)\n)*)(internal )?(operation|function) (\w+)", re.M)


def _namespace(path: Path) -> str:
    return ".".join(path.relative_to(SRC).with_suffix("").parts)


def _files():
    return sorted(p for p in SRC.rglob("*.qs") if p.name != "Main.qs")


def test_public_surface_is_main_export_list():
    public = set()
    for path in _files():
        if _namespace(path).startswith("Tests."):
            continue
        for attrs, internal, _, name in DECL.findall(path.read_text()):
            if not internal and "@Test" not in attrs:
                public.add(f"{_namespace(path)}.{name}")
    exported = set(re.findall(r"[\w.]+\.\w+", re.sub(r"//.*", "", (SRC / "Main.qs").read_text())))
    assert public - exported == set(), "public but not exported in Main.qs (export it or make it internal)"
    assert exported - public == set(), "exported in Main.qs but not a public callable"


def test_no_unused_named_imports():
    unused = []
    for path in _files():
        text = path.read_text()
        body = "\n".join(line for line in text.splitlines() if not line.startswith("import "))
        for name in re.findall(r"^import ([\w.]+);", text, re.M):
            if not re.search(r"\b" + re.escape(name.rsplit(".", 1)[-1]) + r"\b", body):
                unused.append(f"{path.name}: {name}")
    assert unused == []


def test_oracles_do_not_import_the_carleman_layer():
    for path in (SRC / "Oracles").glob("*.qs"):
        assert not re.findall(r"^import Carleman\.", path.read_text(), re.M), path.name
