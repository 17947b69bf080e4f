"""One read of an ONNX graph, and the questions the quantizer and the gate ask of it.

The prepared fp32 graph is asked for its layers with weights, the attention core, each layer's
region (with its bias and activation) and the front of the network; `GraphIndex.load` reads the
file once (without weights) and answers all of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from edgeclass.errors import ModelError

if TYPE_CHECKING:
    from onnx import NodeProto

# Layers with int8 weights: the ones the gate may move back to float.
WEIGHTED_OP_TYPES = frozenset({"Conv", "MatMul", "Gemm"})
# What follows a layer and belongs with it in float: its bias Add (MatMul layers) and its
# activation (SiLU is Sigmoid + Mul). Keeping only the weighted node in float would leave its
# output quantized, since the quantizer quantizes the inputs of every int8 node.
LAYER_TAIL_OP_TYPES = frozenset({"Add", "Mul", "Sigmoid", "Relu", "Clip", "HardSigmoid", "Tanh"})


@dataclass(frozen=True)
class GraphIndex:
    nodes: tuple[NodeProto, ...]
    # Tensors known before any input arrives: initializers and Constant nodes' outputs.
    constants: frozenset[str]
    input_names: tuple[str, ...]

    @classmethod
    def load(cls, onnx_path: str | Path) -> GraphIndex:
        import onnx

        graph = onnx.load(str(onnx_path), load_external_data=False).graph
        constants = {init.name for init in graph.initializer}
        constants |= {node.output[0] for node in graph.node if node.op_type == "Constant"}
        inputs = tuple(value.name for value in graph.input if value.name not in constants)
        return cls(tuple(graph.node), frozenset(constants), inputs)

    @property
    def node_names(self) -> list[str]:
        return [node.name for node in self.nodes]

    def weighted_nodes(self) -> list[str]:
        """Names of the nodes whose weights int8 quantization would touch, in graph order."""
        return [
            node.name
            for node in self.nodes
            if node.op_type in WEIGHTED_OP_TYPES
            and any(name in self.constants for name in node.input[1:])
        ]

    def attention_core_nodes(self) -> list[str]:
        """MatMuls whose inputs are both activations (Q.K^T, attn.V) and the Divs that scale
        them."""
        names = []
        for node in self.nodes:
            core_matmul = node.op_type == "MatMul" and not any(
                name in self.constants for name in node.input
            )
            scale = node.op_type == "Div" and node.input[1] in self.constants
            if core_matmul or scale:
                names.append(node.name)
        return names

    def float_regions(self, names: Sequence[str]) -> dict[str, list[str]]:
        """For each weighted node: itself plus the bias Add / activation nodes that read only
        its result (and constants). A residual Add, which reads another branch, is not part
        of it."""
        consumers: dict[str, list[NodeProto]] = {}
        for node in self.nodes:
            for name in node.input:
                consumers.setdefault(name, []).append(node)
        by_name = {node.name: node for node in self.nodes}
        regions = {}
        for name in names:
            region, frontier = [name], list(by_name[name].output)
            produced = set(frontier)
            while frontier:
                for node in consumers.get(frontier.pop(), []):
                    own = all(i in produced or i in self.constants for i in node.input)
                    if node.op_type in LAYER_TAIL_OP_TYPES and own and node.name not in region:
                        region.append(node.name)
                        produced.update(node.output)
                        frontier.extend(node.output)
            regions[name] = region
        return regions

    def front_nodes(self, weighted: Sequence[str], count: int) -> list[str]:
        """Every node from the graph's start to the end of the `count`-th weighted layer's
        region: the front of the network, with what lies between its layers (residual Adds
        included)."""
        order = self.node_names
        last = weighted[count - 1]
        end = max(order.index(name) for name in self.float_regions([last])[last])
        return order[: end + 1]

    def check_node_names(self, names: Iterable[str]) -> None:
        known = set(self.node_names)
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ModelError(
                f"--exclude-nodes names nodes that are not in the graph: {', '.join(unknown)} "
                "(the report's `quantizable_nodes` lists the names)"
            )
