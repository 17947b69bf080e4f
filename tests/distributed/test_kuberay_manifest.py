"""The RayJob manifest of docs/scale.md holds only fields KubeRay's RayJob CRD defines, with their
types and required fields (kuberay/rayjob_v1_fields.txt, made from the CRD by make_fields.py).

Not applied to a cluster here (none to apply it to): this catches a misspelled or misplaced field,
which Kubernetes would drop or refuse.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

REPO_ROOT = Path(__file__).resolve().parents[2]
FIELDS = Path(__file__).parent / "kuberay" / "rayjob_v1_fields.txt"
POD_TEMPLATE = "<pod-template>"
PYTHON_TYPES = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "object": dict,
    "array": list,
    "int-or-string": (int, str),
}


def _schema() -> tuple[dict[str, str], dict[str, set[str]]]:
    types: dict[str, str] = {}
    required: dict[str, set[str]] = {}
    for line in FIELDS.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        path, _, rest = line.partition(" ")
        if rest.startswith("required "):
            required[path] = set(rest.split()[1].split(","))
        else:
            types[path] = rest
    types[""] = types[POD_TEMPLATE] = "object"
    return types, required


def problems_in(manifest: dict) -> list[str]:
    """Every field of `manifest` that the RayJob schema does not have, or has with another type,
    and every required field missing."""
    types, required = _schema()
    # An object the CRD leaves open (the top-level metadata: Kubernetes' own ObjectMeta, which
    # the API server checks) has no fields listed under it.
    parents = {path.rsplit(".", 1)[0] for path in types if "." in path} | {""}
    found: list[str] = []

    def check(node: object, path: str) -> None:
        kind = types.get(path)
        if kind == POD_TEMPLATE:
            path, kind = POD_TEMPLATE, "object"
        if kind is None:
            found.append(f"{path}: no such field")
            return
        expected = PYTHON_TYPES.get(kind)
        if expected is not None and (
            not isinstance(node, expected) or (kind != "boolean" and isinstance(node, bool))
        ):
            found.append(f"{path}: {kind} expected, got {node!r}")
            return
        if isinstance(node, dict) and path in parents:
            for key in sorted(required.get(path, set()) - node.keys()):
                found.append(f"{path}: required field {key} missing")
            for key, value in node.items():
                child = f"{path}.{key}" if path else key
                any_key = f"{path}.*"  # a map: any name, values of one type
                check(value, any_key if child not in types and any_key in types else child)
        elif isinstance(node, list):
            for item in node:
                check(item, f"{path}[]")

    check(manifest, "")
    if manifest.get("apiVersion") != "ray.io/v1" or manifest.get("kind") != "RayJob":
        found.append("not a ray.io/v1 RayJob")
    return found


def _documented_manifest() -> dict:
    text = (REPO_ROOT / "docs" / "scale.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    manifests = [yaml.safe_load(block) for block in blocks if "kind: RayJob" in block]
    assert len(manifests) == 1, "docs/scale.md should show one RayJob manifest"
    return manifests[0]


def test_the_documented_rayjob_uses_only_fields_of_the_crd():
    manifest = _documented_manifest()
    assert problems_in(manifest) == []
    assert manifest["spec"]["entrypoint"].startswith("edgeclass classify ")
    assert "--engine ray" in manifest["spec"]["entrypoint"]


def test_the_check_finds_a_misspelled_field_a_wrong_type_and_a_missing_one():
    manifest = _documented_manifest()
    spec = manifest["spec"]
    spec["entryPoint"] = spec.pop("entrypoint")
    spec["shutdownAfterJobFinishes"] = "yes"
    del spec["rayClusterSpec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["name"]
    assert sorted(problems_in(manifest)) == [
        "<pod-template>.spec.containers[]: required field name missing",
        "spec.entryPoint: no such field",
        "spec.shutdownAfterJobFinishes: boolean expected, got 'yes'",
    ]
