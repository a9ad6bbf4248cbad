// baton::mpi() in a build configured with BATON_WITH_MPI=OFF. Falling back to a
// thread pool would be wrong under mpirun (every rank would run the whole flow),
// so asking for the MPI runner is an error that says how to get one.
#include <baton/error.h>
#include <baton/task_runner.h>

namespace baton {

std::shared_ptr<TaskRunner> mpi(int /*tasks_in_flight_per_rank*/) {
  throw Error(
      "the MPI task runner (BATON_TASK_RUNNER=mpi) is not in this build of baton: it was configured with "
      "BATON_WITH_MPI=OFF; rebuild with OpenMPI (libopenmpi-dev) and -DBATON_WITH_MPI=ON");
}

}  // namespace baton
