"""Checks that the official tritonclient[http] works against a running Warden, unchanged.

    python3 bench/tritonclient-check.py [URL] [MODEL]     (default 127.0.0.1:8080 iris)

Runs server/model readiness and metadata, then the same inference with
binary_data=True and binary_data=False (inputs and outputs), and compares the
two answers. Needs: pip install "tritonclient[http]" numpy.
"""
import sys

import numpy as np
import tritonclient.http as httpclient

url = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8080"
model = sys.argv[2] if len(sys.argv) > 2 else "iris"
client = httpclient.InferenceServerClient(url=url)
assert client.is_server_live(), "server not live"
assert client.is_server_ready(), "server not ready"
assert client.is_model_ready(model), f"{model} not ready"
metadata = client.get_model_metadata(model)
print("metadata:", metadata["name"], metadata["versions"], [i["name"] for i in metadata["inputs"]])
print("index:", client.get_model_repository_index())

rows = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]], dtype=np.float32)
answers = {}
for binary in (True, False):
    tensor = httpclient.InferInput("input", list(rows.shape), "FP32")
    tensor.set_data_from_numpy(rows, binary_data=binary)
    outputs = [httpclient.InferRequestedOutput(o["name"], binary_data=binary) for o in metadata["outputs"]]
    result = client.infer(model, [tensor], outputs=outputs)
    answers[binary] = {o["name"]: result.as_numpy(o["name"]) for o in metadata["outputs"]}
    print(f"binary_data={binary}:", {k: v.tolist() for k, v in answers[binary].items()})
for name in answers[True]:
    np.testing.assert_allclose(answers[True][name], answers[False][name], rtol=1e-6)
stats = client.get_inference_statistics(model)
print("stats:", stats["model_stats"][0]["inference_stats"]["success"])
print("tritonclient: OK")
