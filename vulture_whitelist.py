# ruff: noqa
"""Names vulture reports as unused that are in use: `vulture src vulture_whitelist.py
--min-confidence 60` (make lint, .ci/run) must find nothing else.

vulture's whitelist format (what `vulture --make-whitelist` prints): each line uses a name, so
vulture counts it as used; `_.name` stands for an attribute or method of any object. This file
is never imported. A name here is whitelisted everywhere in src, so add one only with its reason,
and remove code instead when nothing calls it.
"""

# Qt virtual methods: Qt calls these overrides itself (painting, size hints, drag and drop, the
# model/view API).
_.minimumSizeHint  # unused method (src/edgeclass/desktop/detail_pane.py)
_.paintEvent  # unused method (src/edgeclass/desktop/detail_pane.py, drop_zone.py)
_.dragEnterEvent  # unused method (src/edgeclass/desktop/drop_zone.py)
_.dragMoveEvent  # unused method (src/edgeclass/desktop/drop_zone.py)
_.dropEvent  # unused method (src/edgeclass/desktop/drop_zone.py)
_.columnCount  # unused method (src/edgeclass/desktop/results_model.py)
_.headerData  # unused method (src/edgeclass/desktop/results_model.py)
_.filterAcceptsRow  # unused method (src/edgeclass/desktop/results_model.py)
_.paint  # unused method (src/edgeclass/desktop/results_grid.py: TileDelegate)
_.textElideMode  # unused attribute (src/edgeclass/desktop/results_table.py: set for Qt to read)

# Qt objects held only to keep them alive: a Python reference nobody reads stops the garbage
# collector from deleting the preview loader's signals before they report, or the context menu
# while it is open (tests/desktop/test_at_a_glance.py also reads the menu's actions).
_._signals  # unused attribute (src/edgeclass/desktop/preview_dialog.py)
_.context_menu  # unused attribute (src/edgeclass/desktop/results_table.py)

# Desktop accessors that tests drive or read to check what the user sees: the drop zone's button
# caption and slim state once rows are shown (test_window.py, test_drop_and_worker.py), the detail
# pane's probability bars (test_drop_and_worker.py), and the sort dialog's mode, the inverse of
# mode() (test_sort_dialog.py, test_rows_follow_a_move.py sort by copy and by move through it).
_.button_text  # unused method (src/edgeclass/desktop/drop_zone.py)
_.is_compact  # unused method (src/edgeclass/desktop/drop_zone.py)
_.bars  # unused method (src/edgeclass/desktop/detail_pane.py)
_.set_mode  # unused method (src/edgeclass/desktop/sort_dialog.py)

# The MIME type of each image ending: packaging/linux/edgeclass.desktop offers these, and
# tests/desktop/test_open_with.py keeps the two the same.
SUFFIX_MIME_TYPES  # unused variable (src/edgeclass/image_formats.py)

# Public Python API used outside src: classify_image is documented in docs/cli.md, occlusion_map
# (a heat map of an image in memory) in docs/tools.md; classify_bytes
# is bench/serve_load.py's naive server and the serve tests' one-image reference;
# TrainingSummary.with_mlflow is called by recipes/device/log_device_run.py.
_.classify_image  # unused method (src/edgeclass/runtime/classifier.py)
occlusion_map  # unused function (src/edgeclass/runtime/occlusion.py; docs/tools.md, its tests)
classify_bytes  # unused function (src/edgeclass/runtime/in_memory.py)
_.with_mlflow  # unused method (src/edgeclass/training_summary.py)

# Fields of the typed artefacts (quantization_report.json, training_summary.json, the CPU info
# TypedDict): written and read through dataclasses.asdict / from_dict and dict keys, never as
# attributes, so vulture sees no use.
tool  # unused variable (src/edgeclass/runtime/model_report.py)
dynamic_batch  # unused variable (src/edgeclass/runtime/model_report.py)
preprocess  # unused variable (src/edgeclass/runtime/model_report.py)
sensitivity_noise_added  # unused variable (src/edgeclass/runtime/model_report.py)
vnni  # unused variable (src/edgeclass/runtime/model_report.py, quantize/sysinfo.py)
pretrained  # unused variable (src/edgeclass/training_summary.py)
architecture  # unused variable (src/edgeclass/training_summary.py)
input_size  # unused variable (src/edgeclass/training_summary.py)
train_input_size  # unused variable (src/edgeclass/training_summary.py)
train_per_class  # unused variable (src/edgeclass/training_summary.py)
val_per_class  # unused variable (src/edgeclass/training_summary.py)
test_per_class  # unused variable (src/edgeclass/training_summary.py)
skipped_unreadable  # unused variable (src/edgeclass/training_summary.py)
duplicates_across_splits  # unused variable (src/edgeclass/training_summary.py)
unreadable_in_training  # unused variable (src/edgeclass/training_summary.py)
epochs_planned  # unused variable (src/edgeclass/training_summary.py)
stopped_early  # unused variable (src/edgeclass/training_summary.py)
stopped_by_time_budget  # unused variable (src/edgeclass/training_summary.py)
training_seconds  # unused variable (src/edgeclass/training_summary.py)
best_checkpoint  # unused variable (src/edgeclass/training_summary.py)
best_val_metric  # unused variable (src/edgeclass/training_summary.py)
resumed_from  # unused variable (src/edgeclass/training_summary.py)
teacher_val_accuracy  # unused variable (src/edgeclass/training_summary.py)

# argparse: a subcommand is required (set on the subparsers action, read by argparse).
_.required  # unused attribute (src/edgeclass/cli/main.py)

# Ray Data: options set on DataContext, read by Ray.
_.preserve_order  # unused attribute (src/edgeclass/cli/classify_ray.py)
_.enable_progress_bars  # unused attribute (src/edgeclass/cli/classify_ray.py)
_.print_on_execution_start  # unused attribute (src/edgeclass/cli/classify_ray.py)

# Python: the hook for errors in finalizers, read by the interpreter.
_.unraisablehook  # unused attribute (src/edgeclass/cli/classify_ray.py)

# onnxruntime: SessionOptions set here, read by InferenceSession; and CalibrationDataReader's
# methods, which quantize_static calls.
_.intra_op_num_threads  # unused attribute (src/edgeclass/runtime/session.py)
_.inter_op_num_threads  # unused attribute (src/edgeclass/runtime/session.py)
_.execution_mode  # unused attribute (src/edgeclass/runtime/session.py)
_.graph_optimization_level  # unused attribute (src/edgeclass/runtime/session.py, quantize/sensitivity.py)
_.log_severity_level  # unused attribute (src/edgeclass/runtime/session.py, quantize/sensitivity.py)
_.set_range  # unused method (src/edgeclass/quantize/calibrate.py)
_.get_next  # unused method (src/edgeclass/quantize/calibrate.py)
_.rewind  # unused method (src/edgeclass/quantize/calibrate.py)

# ONNX protobuf: NodeProto.doc_string is cleared before the graph is saved.
_.doc_string  # unused attribute (src/edgeclass/quantize/quantize.py)

# PyTorch / Transformers: methods bound onto MobileViT modules for export, which the modules'
# own forward passes call.
_.unfolding  # unused attribute (src/edgeclass/quantize/mobilevit_export.py)
_.folding  # unused attribute (src/edgeclass/quantize/mobilevit_export.py)
_.forward  # unused attribute (src/edgeclass/quantize/mobilevit_export.py)

# Transformers TrainerCallback hooks, which Trainer calls; TrainerControl.should_training_stop is
# read by Trainer.
_.on_train_begin  # unused method (src/edgeclass/trainer/callbacks.py)
_.on_epoch_begin  # unused method (src/edgeclass/trainer/callbacks.py)
_.on_epoch_end  # unused method (src/edgeclass/trainer/callbacks.py)
_.on_step_end  # unused method (src/edgeclass/trainer/callbacks.py)
_.on_log  # unused method (src/edgeclass/trainer/callbacks.py)
_.on_evaluate  # unused method (src/edgeclass/trainer/callbacks.py, distill.py)
_.on_save  # unused method (src/edgeclass/trainer/callbacks.py)
_.should_training_stop  # unused attribute (src/edgeclass/trainer/callbacks.py)

# FastAPI route handlers, registered by their decorators and called by the framework.
docs  # unused function (src/edgeclass/serve/docs_ui.py: GET /docs)
server_metadata  # unused function (src/edgeclass/serve/kserve.py)
live  # unused function (src/edgeclass/serve/kserve.py)
model_metadata  # unused function (src/edgeclass/serve/kserve.py)
model_ready  # unused function (src/edgeclass/serve/kserve.py)
healthz  # unused function (src/edgeclass/serve/routes.py)
readyz  # unused function (src/edgeclass/serve/routes.py)
model_version_metadata  # unused function (src/edgeclass/serve/kserve.py)
model_version_ready  # unused function (src/edgeclass/serve/kserve.py)
infer_version  # unused function (src/edgeclass/serve/kserve.py)

# uvicorn calls these overrides of its H11Protocol and Server, and reads these attributes.
_.timeout_keep_alive_handler  # unused method (src/edgeclass/serve/protocol.py)
_.send_400_response  # unused method (src/edgeclass/serve/protocol.py)
_.disconnected  # unused attribute (src/edgeclass/serve/protocol.py: uvicorn's request cycle)
_.handle_exit  # unused method (src/edgeclass/serve/server.py)
_.force_exit  # unused attribute (src/edgeclass/serve/server.py)
# reprlib.Repr's settings, read by its repr().
_.maxstring  # unused attribute (src/edgeclass/serve/kserve.py)
_.maxother  # unused attribute (src/edgeclass/serve/kserve.py)
# A signal handler's second argument, which Python always passes.
frame  # unused variable (src/edgeclass/cli/signals.py, cli/steps.py, serve/server.py)
