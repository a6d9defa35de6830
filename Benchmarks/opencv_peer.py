#!/usr/bin/env python3
"""The OpenCV side of ImagingBench: makes the inputs and times OpenCV on them.

    python3 Benchmarks/opencv_peer.py --source Benchmarks/Data/scenetext01.jpg --out DIR [--runs 5] [--quick]

Writes DIR/big.jpg (4000x3000) and DIR/big_1080p.jpg (1920x1080), made exactly as refbench's
opencv_bench.py makes them (INTER_CUBIC upscale, quality 90), then prints one JSON object:
{"meta": {...}, "threads_1": {"12MP": {op: ms}, "1080p": {...}, "extra": {...}}, "threads_default": {...}}.
Each figure is the median of --runs calls after one warm-up. Needs opencv-python-headless 4.x and numpy
(`python3 -m pip install opencv-python-headless numpy`).
"""
import argparse
import json
import math
import os
import statistics
import time

import cv2
import numpy as np


def make_inputs(source, out):
    src = cv2.imread(source, cv2.IMREAD_COLOR)
    big = cv2.resize(src, (4000, 3000), interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(os.path.join(out, "big.jpg"), big, [cv2.IMWRITE_JPEG_QUALITY, 90])
    hd = cv2.resize(src, (1920, 1440), interpolation=cv2.INTER_CUBIC)[180:1260]
    cv2.imwrite(os.path.join(out, "big_1080p.jpg"), np.ascontiguousarray(hd), [cv2.IMWRITE_JPEG_QUALITY, 90])


def rotate_expand(img, deg):
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), deg, 1.0)
    c, s = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(math.ceil(h * s + w * c)), int(math.ceil(h * c + w * s))
    m[0, 2] += nw / 2.0 - w / 2.0
    m[1, 2] += nh / 2.0 - h / 2.0
    return cv2.warpAffine(img, m, (nw, nh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))


def timeit(fn, runs):
    fn()
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        fn()
        ts.append((time.perf_counter_ns() - t0) / 1e6)
    return round(statistics.median(ts), 3)


def image_ops(path, runs, quick, only=None):
    jpg = np.fromfile(path, dtype=np.uint8)
    img = cv2.imdecode(jpg, cv2.IMREAD_COLOR)
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    png = cv2.imencode(".png", img)[1]
    h, w = img.shape[:2]

    def unsharp():
        blur = cv2.GaussianBlur(img, (0, 0), 2.0)
        return cv2.addWeighted(img, 2.0, blur, -1.0, 0)

    ops = [
        ("jpeg_decode", lambda: cv2.imdecode(jpg, cv2.IMREAD_COLOR)),
        ("jpeg_encode_q90", lambda: cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 90])),
        ("png_decode", lambda: cv2.imdecode(png, cv2.IMREAD_COLOR)),
        ("png_encode_default", lambda: cv2.imencode(".png", img)),
        ("png_encode_level6", lambda: cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, 6])),
        ("resize_quarter_area", lambda: cv2.resize(img, (w // 4, h // 4), interpolation=cv2.INTER_AREA)),
        ("resize_2x_linear", lambda: cv2.resize(img, (w * 2, h * 2), interpolation=cv2.INTER_LINEAR)),
        ("gaussian_blur_sigma3", lambda: cv2.GaussianBlur(img, (0, 0), 3.0)),
        ("unsharp_mask", unsharp),
        ("threshold_binary_gray", lambda: cv2.threshold(gray, 127, 255, cv2.THRESH_BINARY)),
        ("threshold_otsu_gray", lambda: cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)),
        ("rgb_to_gray", lambda: cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)),
        ("rgb_to_hsv", lambda: cv2.cvtColor(img, cv2.COLOR_BGR2HSV)),
        ("rotate_90", lambda: cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE)),
        ("rotate_17_expand", lambda: rotate_expand(img, 17.0)),
        ("median_blur_5", lambda: cv2.medianBlur(img, 5)),
    ]
    if quick:
        ops = [op for op in ops if op[0] != "png_encode_level6"]
    if only:
        ops = [op for op in ops if op[0] in only]
    return {name: timeit(fn, runs) for name, fn in ops}


# The numpy dark-channel-prior reference (refbench/dcp_ref.py's algorithm, float64), for ms per megapixel.
def dcp_numpy(bgr):
    img = bgr.astype(np.float64) / 255.0
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (15, 15))
    dark = cv2.erode(img.min(axis=2).astype(np.float32), kernel).astype(np.float64)
    h, w = dark.shape
    k = max(1, int(h * w * 0.001))
    order = np.argsort(-dark.reshape(-1), kind="stable")[:k]
    flat = img.reshape(-1, 3)
    a = flat[order[int(np.argmax(flat[order].sum(axis=1)))]]
    t_raw = 1.0 - 0.95 * cv2.erode((img / a[None, None, :]).min(axis=2).astype(np.float32), kernel).astype(np.float64)
    gray = cv2.cvtColor(img.astype(np.float32), cv2.COLOR_BGR2GRAY).astype(np.float64)

    def box(x, r=60):
        s = np.zeros((h + 1, w + 1))
        s[1:, 1:] = x.cumsum(0).cumsum(1)
        y0, y1 = np.clip(np.arange(h) - r, 0, h), np.clip(np.arange(h) + r + 1, 0, h)
        x0, x1 = np.clip(np.arange(w) - r, 0, w), np.clip(np.arange(w) + r + 1, 0, w)
        return (s[y1][:, x1] - s[y0][:, x1] - s[y1][:, x0] + s[y0][:, x0]) / ((y1 - y0)[:, None] * (x1 - x0)[None, :])

    mi, mp = box(gray), box(t_raw)
    aa = (box(gray * t_raw) - mi * mp) / (box(gray * gray) - mi * mi + 1e-4)
    t = box(aa) * gray + box(mp - aa * mi)
    j = (img - a) / np.maximum(t, 0.1)[:, :, None] + a
    return np.clip(np.rint(np.clip(j, 0, 1) * 255), 0, 255).astype(np.uint8)


def extra(out, runs):
    big = os.path.join(out, "big.jpg")
    jpg = np.fromfile(big, dtype=np.uint8)

    def thumbnail():
        small = cv2.imdecode(jpg, cv2.IMREAD_REDUCED_COLOR_8)
        h, w = small.shape[:2]
        s = 256 / max(h, w)
        return cv2.imencode(".jpg", cv2.resize(small, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA),
                            [cv2.IMWRITE_JPEG_QUALITY, 80])

    hd = cv2.imdecode(np.fromfile(os.path.join(out, "big_1080p.jpg"), dtype=np.uint8), cv2.IMREAD_COLOR)
    return {
        "thumbnail_256_from_12MP_jpeg": timeit(thumbnail, runs),
        "dehaze_numpy_reference_1080p": timeit(lambda: dcp_numpy(hd), max(1, runs // 2)),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", help="comma-separated operation names; leaves out the extras")
    args = ap.parse_args()
    only = set(args.only.split(",")) if args.only else None
    os.makedirs(args.out, exist_ok=True)
    make_inputs(args.source, args.out)
    default_threads = cv2.getNumThreads()
    result = {"meta": {"opencv": cv2.__version__, "numpy": np.__version__, "default_threads": default_threads,
                       "ipp": cv2.ipp.useIPP(), "runs": args.runs}}
    for label, n in (("threads_1", 1), ("threads_default", default_threads)):
        cv2.setNumThreads(n)
        result[label] = {
            "12MP": image_ops(os.path.join(args.out, "big.jpg"), args.runs, args.quick, only),
            "1080p": image_ops(os.path.join(args.out, "big_1080p.jpg"), args.runs, args.quick, only),
            "extra": {} if only else extra(args.out, args.runs),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
