#ifndef CLEARSKY_CPNG_SHIM_H
#define CLEARSKY_CPNG_SHIM_H

// libpng: the simplified png_image API for reading, the row API for writing.
#include <png.h>
#include <setjmp.h>
#include <string.h>

// PNG_IMAGE_PNG_SIZE_MAX is a macro Swift cannot call: the worst-case encoded size, so that an
// encoder can write into one buffer in one pass.
static inline png_alloc_size_t clearsky_png_size_max(const png_image *image) {
    return PNG_IMAGE_PNG_SIZE_MAX(*image);
}

// Where clearsky_png_write puts the file, and why it failed.
typedef struct {
    unsigned char *output;
    size_t size;
    size_t capacity;
    char message[96];
} clearsky_png_sink;

static void clearsky_png_sink_write(png_structp png, png_bytep data, size_t length) {
    clearsky_png_sink *sink = (clearsky_png_sink *)png_get_io_ptr(png);
    if (length > sink->capacity - sink->size) png_error(png, "encoded image larger than its buffer");
    memcpy(sink->output + sink->size, data, length);
    sink->size += length;
}

static void clearsky_png_sink_error(png_structp png, png_const_charp message) {
    clearsky_png_sink *sink = (clearsky_png_sink *)png_get_error_ptr(png);
    strncpy(sink->message, message, sizeof sink->message - 1);
    sink->message[sizeof sink->message - 1] = 0;
    png_longjmp(png, 1);
}

static void clearsky_png_sink_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

// Writes 8-bit pixels (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA channels; rows `row_bytes` apart) as a PNG
// into `sink` with a zlib level and strategy and the row filters to try. The simplified API writes
// with fixed settings (level 6, or level 3 without filters when asked to be fast) that cannot be
// changed; this is the same libpng with the settings OpenCV uses. libpng reports errors by
// longjmp, which Swift cannot catch, so the jump lands here. Returns 1, or 0 with `sink->message`.
static inline int clearsky_png_write(
    clearsky_png_sink *sink, const unsigned char *pixels, png_uint_32 width, png_uint_32 height, int channels,
    size_t row_bytes, int level, int strategy, int filters) {
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, sink, clearsky_png_sink_error, clearsky_png_sink_warning);
    if (png == NULL) {
        strcpy(sink->message, "out of memory");
        return 0;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        strcpy(sink->message, "out of memory");
        return 0;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return 0;
    }
    static const int color_types[] = {
        PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    png_set_write_fn(png, sink, clearsky_png_sink_write, NULL);
    png_set_IHDR(
        png, info, width, height, 8, color_types[(channels - 1) & 3], PNG_INTERLACE_NONE,
        PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, level);
    png_set_compression_strategy(png, strategy);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, filters);
    png_write_info(png, info);
    for (png_uint_32 y = 0; y < height; y++) png_write_row(png, pixels + (size_t)y * row_bytes);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return 1;
}

#endif
