#ifndef LUMIS_COPENBLAS_SHIM_H
#define LUMIS_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
