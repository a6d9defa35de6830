#ifndef CLEARSKY_COPENBLAS_SHIM_H
#define CLEARSKY_COPENBLAS_SHIM_H

// OpenBLAS's CBLAS interface (libopenblas-dev): single-precision GEMM for the detector's convolutions.
#include <cblas.h>

#endif
