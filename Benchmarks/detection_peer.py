#!/usr/bin/env python3
"""The OpenCV side of DetectionBench: YOLOv3-tiny through cv2.dnn on a prebuilt 416x416 blob.

    python3 Benchmarks/detection_peer.py MODEL_DIR IMAGE

Prints one JSON object: median forward milliseconds with 1 thread and with OpenCV's default,
blobFromImage milliseconds from IMAGE (the 12 MP input of ImagingBench), and IMAGE's bytes to
detections end to end (imdecode, blobFromImage, forward, boxes above 0.25, NMS) with the default threads.
"""
import json
import os
import statistics
import sys
import time

import cv2
import numpy as np


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

    with open(image, "rb") as f:
        encoded = np.frombuffer(f.read(), dtype=np.uint8)

    def end_to_end():
        picture = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
        height, width = picture.shape[:2]
        net.setInput(cv2.dnn.blobFromImage(picture, 1 / 255.0, (416, 416), swapRB=True, crop=False))
        boxes, scores, classes = [], [], []
        for out in net.forward(["yolo_16", "yolo_23"]):
            for row in out:
                klass = int(np.argmax(row[5:]))
                score = float(row[5 + klass])
                if score > 0.25:
                    cx, cy, w, h = row[0] * width, row[1] * height, row[2] * width, row[3] * height
                    boxes.append([int(cx - w / 2), int(cy - h / 2), int(w), int(h)])
                    scores.append(score)
                    classes.append(klass)
        return cv2.dnn.NMSBoxesBatched(boxes, scores, classes, 0.25, 0.45) if boxes else []

    result["end_to_end_default"] = timeit(end_to_end, runs=7, warmup=2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
