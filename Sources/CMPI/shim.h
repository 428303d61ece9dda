#ifndef LUMIS_CMPI_SHIM_H
#define LUMIS_CMPI_SHIM_H
#include <mpi.h>

// Open MPI defines its predefined handles as macros over addresses of global objects, which Swift cannot
// import; these accessors hand them over as plain values.
static inline MPI_Comm lumis_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype lumis_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype lumis_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype lumis_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype lumis_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Op lumis_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op lumis_mpi_max(void) { return MPI_MAX; }
static inline MPI_Op lumis_mpi_min(void) { return MPI_MIN; }
static inline void *lumis_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Errhandler lumis_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int lumis_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int lumis_mpi_success(void) { return MPI_SUCCESS; }
static inline int lumis_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline MPI_Status *lumis_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline int lumis_mpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline MPI_Info lumis_mpi_info_null(void) { return MPI_INFO_NULL; }
#endif
