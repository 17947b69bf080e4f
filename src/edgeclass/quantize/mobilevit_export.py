"""Exact rewrites of a MobileViT that make its ONNX graph cheaper to run, int8 above all.

Applied to the in-memory PyTorch model just before export; the weights on disk are untouched and
the export's parity check compares against the original model. Measured on MobileViT-small at
256x256, 2 threads (docs/notes/quantize-experiments.md):

- unfold / fold as ONE 6-D transpose each, instead of reshape-transpose-reshape-transpose. The
  first of Transformers' two transposes swaps axes under a 2-element inner block; onnxruntime
  runs that on uint8 tensors ~28x slower than on float (1.3 ms vs 0.05 ms per call with 2
  threads), which cost the int8 model ~5.5 ms per image.
- the attention's 1/sqrt(head size) folded into the query projection's weights and bias. In
  float onnxruntime fuses the Div into the MatMul; next to int8 nodes it cannot, and a float Div
  over every attention score tensor cost ~0.8 ms per image.
"""

from __future__ import annotations

import math
import types
from typing import Any

import torch
from torch import nn
from transformers.utils import torch_int

UNFOLD_REWRITE = "mobilevit.unfold_fold_single_transpose"
SCALE_REWRITE = "mobilevit.attention_scale_folded_into_query"


def _padded(size: Any, patch: int) -> Any:
    """`size` rounded up to a multiple of `patch`, as Transformers computes it: a traced tensor
    while exporting (so the ONNX graph keeps dynamic height and width), an int otherwise."""
    if torch.jit.is_tracing():
        return torch_int(torch.ceil(size / patch) * patch)
    return int(math.ceil(size / patch) * patch)


# `self` below is the MobileViTLayer / MobileViTSelfAttention instance each is bound to.


def _unfolding(self: Any, features: torch.Tensor) -> tuple[torch.Tensor, dict[str, Any]]:
    """(batch, channels, H, W) -> (batch * patch_area, patches, channels), as Transformers'."""
    patch_height, patch_width = self.patch_height, self.patch_width
    batch_size, channels, orig_height, orig_width = features.shape
    new_height = _padded(orig_height, patch_height)
    new_width = _padded(orig_width, patch_width)
    interpolate = False
    if new_width != orig_width or new_height != orig_height:
        features = nn.functional.interpolate(
            features, size=(new_height, new_width), mode="bilinear", align_corners=False
        )
        interpolate = True
    rows, cols = new_height // patch_height, new_width // patch_width
    patches = features.reshape(batch_size, channels, rows, patch_height, cols, patch_width)
    patches = patches.permute(0, 3, 5, 2, 4, 1)
    patches = patches.reshape(batch_size * patch_height * patch_width, rows * cols, channels)
    info = {
        "orig_size": (orig_height, orig_width),
        "batch_size": batch_size,
        "channels": channels,
        "interpolate": interpolate,
        "num_patches": rows * cols,
        "num_patches_width": cols,
        "num_patches_height": rows,
    }
    return patches, info


def _folding(self: Any, patches: torch.Tensor, info: dict[str, Any]) -> torch.Tensor:
    """The inverse of _unfolding."""
    patch_height, patch_width = self.patch_height, self.patch_width
    rows, cols = info["num_patches_height"], info["num_patches_width"]
    batch_size, channels = info["batch_size"], info["channels"]
    features = patches.reshape(batch_size, patch_height, patch_width, rows, cols, channels)
    features = features.permute(0, 5, 3, 1, 4, 2)
    features = features.reshape(batch_size, channels, rows * patch_height, cols * patch_width)
    if info["interpolate"]:
        features = nn.functional.interpolate(
            features, size=info["orig_size"], mode="bilinear", align_corners=False
        )
    return features


def _attention_with_prescaled_query(self: Any, hidden_states: torch.Tensor) -> torch.Tensor:
    """Transformers' MobileViTSelfAttention.forward without the division: the query
    projection already carries the 1/sqrt(head size)."""
    batch_size = hidden_states.shape[0]

    def heads(projection: nn.Linear) -> torch.Tensor:
        projected: torch.Tensor = projection(hidden_states)
        shape = (batch_size, -1, self.num_attention_heads, self.attention_head_size)
        return projected.view(shape).transpose(1, 2)

    query, key, value = heads(self.query), heads(self.key), heads(self.value)
    probs = nn.functional.softmax(torch.matmul(query, key.transpose(-1, -2)), dim=-1)
    context = torch.matmul(self.dropout(probs), value).permute(0, 2, 1, 3).contiguous()
    merged: torch.Tensor = context.view(*context.size()[:-2], self.all_head_size)
    return merged


def prepare_for_export(model: nn.Module) -> list[str]:
    """Rewrite a loaded MobileViT in place (eval mode only); returns the rewrites applied.

    Other architectures are left alone (empty list). Only this instance changes: methods are
    bound per module, never patched on the Transformers classes.
    """
    from transformers.models.mobilevit import modeling_mobilevit as mobilevit

    if model.training:
        raise ValueError("prepare_for_export is for eval-mode models (it folds weights)")
    applied: set[str] = set()
    for module in model.modules():
        if type(module) is mobilevit.MobileViTLayer:
            # Bound to this instance only: the Transformers class stays as it is.
            module.unfolding = types.MethodType(_unfolding, module)  # type: ignore[method-assign]
            module.folding = types.MethodType(_folding, module)  # type: ignore[method-assign]
            applied.add(UNFOLD_REWRITE)
        elif type(module) is mobilevit.MobileViTSelfAttention:
            scale = 1.0 / math.sqrt(module.attention_head_size)
            with torch.no_grad():
                module.query.weight.mul_(scale)
                if module.query.bias is not None:
                    module.query.bias.mul_(scale)
            rewritten = types.MethodType(_attention_with_prescaled_query, module)
            module.forward = rewritten  # type: ignore[method-assign]
            applied.add(SCALE_REWRITE)
    return sorted(applied)
