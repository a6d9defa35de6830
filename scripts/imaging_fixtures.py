#!/usr/bin/env python3
"""Regenerates Tests/ImagingTests/Fixtures: the inputs and OpenCV's outputs the Imaging tests compare with.

Developer tool, not run by the tests (they must not need OpenCV). Needs the refbench folder
(../shared/refbench or REFBENCH=...) and opencv-python-headless 4.x, numpy, scikit-image:
    python3 scripts/imaging_fixtures.py

Inputs: robin.jpg (RGB) and camera.png (gray) from refbench/images, reduced to half size with
INTER_AREA so the expected outputs stay small, saved as PNG (exact pixels, no JPEG decoder in
between). The dehaze scenes ship as their source JPEGs; the tests synthesise the haze with the
formula of refbench/dcp_ref.py and check the result's checksum recorded here.
"""
import hashlib
import json
import os
import sys

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF = os.environ.get("REFBENCH", os.path.join(ROOT, "..", "shared", "refbench"))
OUT = os.path.join(ROOT, "Tests", "ImagingTests", "Fixtures")
sys.path.insert(0, REF)
sys.path.insert(0, os.path.join(ROOT, "Benchmarks"))
import dcp_ref  # noqa: E402
from opencv_peer import rotate_expand  # noqa: E402  (the benchmark's rotation, so both agree)


def save(name, img):
    cv2.imwrite(os.path.join(OUT, name), img, [cv2.IMWRITE_PNG_COMPRESSION, 9])




def ops_for(stem, img):
    """img: BGR or gray uint8 -> {name: output}; every output saved as <stem>_<name>.png."""
    h, w = img.shape[:2]
    gray = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    otsu_level, otsu = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    blur = cv2.GaussianBlur(img, (0, 0), 2.0)
    out = {
        "resize_area_quarter": cv2.resize(img, (w // 4, h // 4), interpolation=cv2.INTER_AREA),
        "resize_area_third": cv2.resize(img, (w // 3, h // 3), interpolation=cv2.INTER_AREA),
        "resize_linear_2x": cv2.resize(img, (w * 2, h * 2), interpolation=cv2.INTER_LINEAR),
        "resize_cubic_2x": cv2.resize(img, (w * 2, h * 2), interpolation=cv2.INTER_CUBIC),
        "gaussian_sigma3": cv2.GaussianBlur(img, (0, 0), 3.0),
        "box_radius2": cv2.blur(img, (5, 5)),
        "median_radius2": cv2.medianBlur(img, 5),
        "unsharp_sigma2_amount1": cv2.addWeighted(img, 2.0, blur, -1.0, 0),
        "threshold_127": cv2.threshold(gray, 127, 255, cv2.THRESH_BINARY)[1],
        "threshold_100_inv": cv2.threshold(gray, 100, 255, cv2.THRESH_BINARY_INV)[1],
        "threshold_otsu": otsu,
        "gray": gray,
        "rotate_90_cw": cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE),
        "rotate_17_expand": rotate_expand(img, 17.0),
        "rotate_m30_expand": rotate_expand(img, -30.0),
    }
    if img.ndim == 3:
        # Stored so that the file's R, G, B bytes are H, S, V (imwrite takes BGR order).
        out["hsv"] = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)[:, :, ::-1]
    for name, value in out.items():
        save(f"{stem}_{name}.png", np.ascontiguousarray(value))
    return {"otsu_level": int(otsu_level), "outputs": sorted(out)}


def main():
    os.makedirs(OUT, exist_ok=True)
    meta = {"opencv": cv2.__version__, "generator": "scripts/imaging_fixtures.py", "inputs": {}}
    robin = cv2.imread(os.path.join(REF, "images", "robin.jpg"), cv2.IMREAD_COLOR)
    camera = cv2.imread(os.path.join(REF, "images", "camera.png"), cv2.IMREAD_GRAYSCALE)
    for stem, img in (("robin", robin), ("camera", camera)):
        h, w = img.shape[:2]
        small = cv2.resize(img, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        save(f"{stem}.png", small)
        meta["inputs"][stem] = {"width": w // 2, "height": h // 2, **ops_for(stem, small)}

    # The full-size JPEG as OpenCV decodes it: the decode test compares checksums and means.
    jpeg = "robin.jpg"
    with open(os.path.join(REF, "images", jpeg), "rb") as f:
        data = f.read()
    with open(os.path.join(OUT, jpeg), "wb") as f:
        f.write(data)
    rgb = cv2.cvtColor(robin, cv2.COLOR_BGR2RGB)
    meta["jpeg_decode"] = {"file": jpeg, "width": rgb.shape[1], "height": rgb.shape[0],
                           "sha256_rgb": hashlib.sha256(rgb.tobytes()).hexdigest(),
                           "mean": [float(rgb[:, :, c].mean()) for c in range(3)]}

    # Dehaze scenes: source JPEG, parameters and the reference's figures (dcp_ref.dehaze run here on the
    # hazy PNG, scored as dcp_ref.py scores it).
    from skimage.metrics import peak_signal_noise_ratio as psnr, structural_similarity as ssim
    scenes = {}
    for name, beta, a_rgb, centre, sigma, amp in dcp_ref.SCENES:
        stem = os.path.splitext(name)[0]
        with open(os.path.join(REF, "images", name), "rb") as f:
            data = f.read()
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        clear = cv2.imread(os.path.join(REF, "haze", f"{stem}_clear.png"), cv2.IMREAD_COLOR)
        hazy = cv2.imread(os.path.join(REF, "haze", f"{stem}_hazy.png"), cv2.IMREAD_COLOR)
        out, det = dcp_ref.dehaze(hazy)
        h, w = clear.shape[:2]
        r = {"psnr_hazy": psnr(clear, hazy, data_range=255), "ssim_hazy": ssim(clear, hazy, channel_axis=2, data_range=255),
             "psnr_dcp": psnr(clear, out, data_range=255), "ssim_dcp": ssim(clear, out, channel_axis=2, data_range=255),
             "A_est_rgb": [float(v) for v in det["A_bgr"][::-1]], "A_est_pixel_xy": [det["A_index"] % w, det["A_index"] // w]}
        scenes[name] = {
            "beta": beta, "airlight_rgb": list(a_rgb), "centre": list(centre), "sigma": sigma, "amp": amp,
            "clear_sha256_rgb": hashlib.sha256(cv2.cvtColor(clear, cv2.COLOR_BGR2RGB).tobytes()).hexdigest(),
            "hazy_sha256_rgb": hashlib.sha256(cv2.cvtColor(hazy, cv2.COLOR_BGR2RGB).tobytes()).hexdigest(),
            "reference": {k: r[k] for k in ("psnr_hazy", "ssim_hazy", "psnr_dcp", "ssim_dcp", "A_est_rgb", "A_est_pixel_xy")},
        }
    meta["dehaze"] = scenes
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
