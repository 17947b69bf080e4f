"""Write rayjob_v1_fields.txt, the field names and types of KubeRay's RayJob (ray.io/v1), from
the CRD that KubeRay publishes (ray-operator/config/crd/bases/ray.io_rayjobs.yaml of a release):

    python tests/distributed/kuberay/make_fields.py ray.io_rayjobs.yaml v1.7.0

One line per field: its path (`[]` for a list's items, `*` for a map's values) and its type, and
one per object with required fields: `PATH required FIELD,FIELD`. The
three pod templates (head, workers, submitter) share Kubernetes' PodTemplateSpec: checked equal
here, listed once under `<pod-template>`. Status fields are left out (a manifest never sets them).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

HERE = Path(__file__).parent
TEMPLATES = (
    "spec.rayClusterSpec.headGroupSpec.template",
    "spec.rayClusterSpec.workerGroupSpecs[].template",
    "spec.submitterPodTemplate",
)


def fields(schema: dict, path: str, out: dict[str, str]) -> None:
    int_or_string = schema.get("x-kubernetes-int-or-string")
    kind = schema.get("type") or ("int-or-string" if int_or_string else "any")
    out[path] = kind
    if schema.get("required"):
        out[f"{path} required"] = ",".join(sorted(schema["required"]))
    for name, sub in schema.get("properties", {}).items():
        fields(sub, f"{path}.{name}" if path else name, out)
    if "items" in schema:
        fields(schema["items"], f"{path}[]", out)
    if isinstance(schema.get("additionalProperties"), dict):
        fields(schema["additionalProperties"], f"{path}.*", out)


def main(crd_file: str, release: str) -> None:
    crd = yaml.safe_load(Path(crd_file).read_text())
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    schema = version["schema"]["openAPIV3Schema"]
    del schema["properties"]["status"]
    found: dict[str, str] = {}
    fields(schema, "", found)
    template_fields = []
    for prefix in TEMPLATES:
        within = [k for k in found if k.startswith((prefix + ".", prefix + " "))]
        template_fields.append({k[len(prefix) :]: found[k] for k in within})
        for key in within:
            del found[key]
        found[prefix] = "<pod-template>"
    assert template_fields[0] == template_fields[1] == template_fields[2]
    lines = [f"{path} {kind}".strip() for path, kind in sorted(found.items()) if path.strip()]
    lines += [f"<pod-template>{path} {kind}" for path, kind in sorted(template_fields[0].items())]
    header = (
        f"# KubeRay {release} RayJob ray.io/v1 field names and types, from "
        "ray-operator/config/crd/bases/ray.io_rayjobs.yaml (see make_fields.py)\n"
    )
    (HERE / "rayjob_v1_fields.txt").write_text(header + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
