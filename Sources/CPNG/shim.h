#ifndef CLEARSKY_CPNG_SHIM_H
#define CLEARSKY_CPNG_SHIM_H

// libpng's simplified png_image API.
#include <png.h>

#endif
