#ifndef CLEARSKY_CPNG_SHIM_H
#define CLEARSKY_CPNG_SHIM_H

// libpng's simplified png_image API.
#include <png.h>

// PNG_IMAGE_PNG_SIZE_MAX is a macro Swift cannot call: the worst-case encoded size, so that an
// encoder can write into one buffer in one pass.
static inline png_alloc_size_t clearsky_png_size_max(const png_image *image) {
    return PNG_IMAGE_PNG_SIZE_MAX(*image);
}

#endif
