#ifndef CLEARSKY_CTURBOJPEG_SHIM_H
#define CLEARSKY_CTURBOJPEG_SHIM_H

// TurboJPEG's API from libturbojpeg0-dev.
#include <turbojpeg.h>

#endif
