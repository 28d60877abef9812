"""Memory and load time of a model whose weights are ONNX external data: Warden against onnxruntime.

    python3 bench/external_weights.py WARDEN [OLD_WARDEN] [REPEATS]

Builds (with onnx.helper, saved with onnx.save_model(save_as_external_data=True))
an embedding model: ids [8, 16] int64 -> Gather(table [100000, 256], 97.7 MiB)
-> MatMul [256, 1024] -> Relu -> MatMul [1024, 256] -> ReduceMean(axis 1).
For each Warden binary it runs `warden predict --bench 2000 --json` REPEATS
times and reports the median inference time, the process's resident anonymous
and file-backed memory at its peak (/proc/PID/status, sampled every 10 ms,
the sample with the most), and the wall time of `warden predict` without
--bench (load + one inference). For
onnxruntime (2 intra-op threads) it reports the same in one process: resident
memory after the session ran, minus what the process held before creating it.
"""
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out", "external-weights")


def build():
    os.makedirs(OUT, exist_ok=True)
    model_path = os.path.join(OUT, "model.onnx")
    if os.path.exists(model_path):
        return model_path
    rng = np.random.default_rng(5)
    initializers = [
        numpy_helper.from_array(rng.standard_normal((100_000, 256)).astype(np.float32), "table"),
        numpy_helper.from_array((rng.standard_normal((256, 1024)) * 0.05).astype(np.float32), "w1"),
        numpy_helper.from_array((rng.standard_normal((1024, 256)) * 0.05).astype(np.float32), "w2"),
    ]
    nodes = [
        helper.make_node("Gather", ["table", "ids"], ["embedded"]),
        helper.make_node("MatMul", ["embedded", "w1"], ["hidden"]),
        helper.make_node("Relu", ["hidden"], ["active"]),
        helper.make_node("MatMul", ["active", "w2"], ["projected"]),
        helper.make_node("ReduceMean", ["projected"], ["pooled"], axes=[1], keepdims=0),
    ]
    graph = helper.make_graph(nodes, "embedding", [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", 16])],
                              [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", 256])], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save_model(model, model_path, save_as_external_data=True, location="weights.bin", size_threshold=0)
    np.save(os.path.join(OUT, "ids.npy"), np.random.default_rng(6).integers(0, 100_000, size=(8, 16)).astype(np.int64))
    return model_path


def sample(pid):
    """RssAnon and RssFile of a running process, in bytes, or None once it has exited."""
    try:
        with open(f"/proc/{pid}/status") as status:
            fields = dict(line.split(":", 1) for line in status if line.startswith("Rss"))
        return int(fields["RssAnon"].split()[0]) * 1024, int(fields["RssFile"].split()[0]) * 1024
    except (FileNotFoundError, KeyError, ProcessLookupError):
        return None


def warden(binary, model, repeats):
    ids = os.path.join(OUT, "ids.npy")
    medians, anon, files, loads = [], [], [], []
    for _ in range(repeats):
        # Resident memory is sampled every 10 ms while the process runs; the largest sample counts.
        process = subprocess.Popen([binary, "predict", model, "--input", f"ids={ids}", "--bench", "2000", "--threads", "2", "--json"],
                                   stdout=subprocess.PIPE, text=True)
        last = None
        while process.poll() is None:
            now = sample(process.pid)
            if now and (last is None or sum(now) >= sum(last)):
                last = now
            time.sleep(0.01)
        report = json.loads(process.stdout.read())
        medians.append(report["bench"]["median_ms"])
        anon.append(last[0])
        files.append(last[1])
        start = time.perf_counter()
        subprocess.run([binary, "predict", model, "--input", f"ids={ids}", "--threads", "2"], check=True, capture_output=True)
        loads.append((time.perf_counter() - start) * 1e3)
    return statistics.median(medians), statistics.median(anon), statistics.median(files), statistics.median(loads)


def resident():
    with open("/proc/self/status") as status:
        fields = dict(line.split(":", 1) for line in status if line.startswith("Rss"))
    return int(fields["RssAnon"].split()[0]) * 1024, int(fields["RssFile"].split()[0]) * 1024


def ort(model, repeats):
    import onnxruntime as ort_module
    ids = np.load(os.path.join(OUT, "ids.npy"))
    options = ort_module.SessionOptions()
    options.intra_op_num_threads = 2
    before = resident()
    start = time.perf_counter()
    session = ort_module.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    session.run(None, {"ids": ids})
    load = (time.perf_counter() - start) * 1e3
    medians = []
    for _ in range(repeats):
        times = []
        for _ in range(50):
            t = time.perf_counter()
            session.run(None, {"ids": ids})
            times.append((time.perf_counter() - t) * 1e3)
        medians.append(statistics.median(times))
    after = resident()
    return statistics.median(medians), after[0] - before[0], after[1] - before[1], load, ort_module.__version__


def main():
    binaries = [("warden", sys.argv[1])] + ([("warden (before)", sys.argv[2])] if len(sys.argv) > 2 and sys.argv[2] else [])
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    model = build()
    mib = lambda b: b / 1048576
    print("| runtime | median ms | resident anon MiB | resident file MiB | load + 1 run ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, binary in binaries:
        median, anon, files, load = warden(binary, model, repeats)
        print(f"| {name} (whole process) | {median:.4f} | {mib(anon):.1f} | {mib(files):.1f} | {load:.0f} (process) |")
    median, anon, files, load, version = ort(model, repeats)
    print(f"| onnxruntime {version} (growth from creating the session) | {median:.4f} | {mib(anon):.1f} | {mib(files):.1f} | {load:.0f} (session + 1 run) |")


main()
