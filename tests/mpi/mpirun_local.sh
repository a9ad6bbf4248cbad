#!/usr/bin/env bash
# mpirun on this machine alone (loopback), with the options this project's
# tests and benchmarks need:
#
#   mpirun_local.sh NP [MPIRUN_OPTION...] -- PROGRAM [ARG...]
#
#   --allow-run-as-root  only when we are root (CI containers)
#   --oversubscribe      more ranks than cores is normal here (2 cores)
#   --bind-to none       rank 0 runs the flow with threads of its own; OpenMPI's
#                        default for np <= 2 binds each rank to one core
#   --mca pml ob1        the point-to-point layer over the BTLs below; without it
#                        every rank spends ~0.2 s probing UCX/OFI/PSM (MPI_Init
#                        0.26 s -> 0.05 s here). BATON_MPI_PML overrides (ucx on
#                        an InfiniBand cluster).
#   --mca btl self,vader,tcp
#                        shared memory between ranks (vader, single copy by CMA);
#                        tcp only if vader cannot be used. BATON_MPI_BTL overrides
#                        (e.g. self,tcp to measure the network path).
#
# Exit status: PROGRAM's (mpirun returns the first non-zero exit status of a
# rank, or non-zero if a rank was killed by a signal); 77 (ctest's skip code)
# with "skipped: ..." when mpirun is not installed; 124 after
# BATON_MPIRUN_TIMEOUT seconds (default 600) if the job hangs.
set -uo pipefail

source "$(cd "$(dirname "$0")" && pwd)/launcher_args.sh"

root=()
[ "$(id -u)" -eq 0 ] && root=(--allow-run-as-root)

exec timeout --kill-after=10 "${BATON_MPIRUN_TIMEOUT:-600}" \
  mpirun "${root[@]}" --oversubscribe --bind-to none -np "$np" \
  --mca pml "${BATON_MPI_PML:-ob1}" --mca btl "${BATON_MPI_BTL:-self,vader,tcp}" \
  "${extra[@]}" "$@"
