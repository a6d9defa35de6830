#ifndef CLEARSKY_CZLIB_SHIM_H
#define CLEARSKY_CZLIB_SHIM_H

// zlib, for gzip-compressing the web UI's assets once at start.
#include <zlib.h>

// deflateInit2 is a macro Swift cannot call.
static inline int clearsky_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
}

#endif
