#!/usr/bin/env python3
"""The OpenCV side of DetectionBench: YOLOv3-tiny through cv2.dnn on a prebuilt 416x416 blob.

    python3 Benchmarks/detection_peer.py MODEL_DIR IMAGE

Prints one JSON object: median forward milliseconds with 1 thread and with OpenCV's default, and
blobFromImage milliseconds from IMAGE (the 12 MP input of ImagingBench).
"""
import json
import os
import statistics
import sys
import time

import cv2


def timeit(fn, runs=15, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main():
    model, image = sys.argv[1], sys.argv[2]
    net = cv2.dnn.readNetFromDarknet(os.path.join(model, "yolov3-tiny.cfg"), os.path.join(model, "yolov3-tiny.weights"))
    big = cv2.imread(image, cv2.IMREAD_COLOR)
    blob = cv2.dnn.blobFromImage(big, 1 / 255.0, (416, 416), swapRB=True, crop=False)

    def forward():
        net.setInput(blob)
        return net.forward(["yolo_16", "yolo_23"])

    default = cv2.getNumThreads()
    result = {"opencv": cv2.__version__, "default_threads": default}
    cv2.setNumThreads(1)
    result["forward_1"] = timeit(forward)
    result["blob_1"] = timeit(lambda: cv2.dnn.blobFromImage(big, 1 / 255.0, (416, 416), swapRB=True, crop=False))
    cv2.setNumThreads(default)
    result["forward_default"] = timeit(forward)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
