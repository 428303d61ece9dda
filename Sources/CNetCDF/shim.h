#ifndef LUMIS_CNETCDF_SHIM_H
#define LUMIS_CNETCDF_SHIM_H
#include <netcdf.h>
#endif
