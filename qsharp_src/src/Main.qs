// The project's public surface: every callable the Python package, the tests, the benchmarks or the notebooks
// call (pyqgd.quantum's get_context().code.<namespace>.<name>) or that other projects may build on; all other
// callables are `internal` (tests/test_qsharp_surface.py checks that the two agree). The callables that branch on
// measurements or take classical data beyond the base profile are exported under @Config(Unrestricted).

export Amplification.FixedPoint.ApplyPhaseOnAllZero,
       Amplification.FixedPoint.ApplyFixedPointAmplification;
export Azure.Entry.QsvtSolveMeasured,
       Azure.Entry.BlockEncodingMeasured,
       Azure.Entry.QsvtSolveDirectState,
       Azure.Entry.CarlemanSolveMeasured,
       Azure.Entry.CarlemanSolveDirectState;
export BlockEncoding.SparseAccess.PrepareIndexSuperposition,
       BlockEncoding.SparseAccess.SparseBlockEncoding;
export Bridge.DumpSparseBlockEncodingColumns,
       Bridge.DumpSparseBlockEncodingUnitary,
       Bridge.DumpQsvtBlockColumns,
       Bridge.QsvtSolve,
       Bridge.QsvtSolveAmplified,
       Bridge.DumpCarlemanBlockEncodingColumns;
export Carleman.HistoryState.ApplyBasisTransposition,
       Carleman.HistoryState.PrepareTensorPowers,
       Carleman.HistoryState.PrepareHistoryRhs,
       Carleman.HistoryState.PrepareAndInvertHistory,
       Carleman.HistoryState.ApplyPhaseOnFinalWindow,
       Carleman.HistoryState.CarlemanQsvtSolve,
       Carleman.HistoryState.DumpHistoryRhs;
export Carleman.Kronecker.KroneckerWidths,
       Carleman.Kronecker.KroneckerMAncillas,
       Carleman.Kronecker.TraceSparseLookup,
       Carleman.Kronecker.TraceStructuredBlockEncoding;
@Config(Unrestricted)
export Carleman.Kronecker.ApplyKroneckerCarleman,
       Carleman.Kronecker.DumpKroneckerColumns,
       Carleman.Kronecker.DumpKroneckerMColumns,
       Carleman.Kronecker.DumpKroneckerColumn,
       Carleman.Kronecker.TraceKroneckerBlockEncoding,
       Carleman.Kronecker.TraceKroneckerSkeleton;
export Carleman.KroneckerFactors.RotateFlagByAngle;
export Carleman.KroneckerSelect.KroneckerScratch;
export Carleman.StructuredOracles.ApplyIfInRange,
       Carleman.StructuredOracles.ApplyCarlemanColumnOracle,
       Carleman.StructuredOracles.ApplyCarlemanRowOracle,
       Carleman.StructuredOracles.ApplyCarlemanEntryOracle,
       Carleman.StructuredOracles.CarlemanSparseOracles;
export Diagnostics.Dumps.DumpBlockColumns;
export Estimation.SolverTraces.TraceCarlemanBlockEncoding,
       Estimation.SolverTraces.TraceCarlemanOracle,
       Estimation.SolverTraces.TraceCarlemanSolveCached;
export Estimation.Traces.TraceBlockEncoding,
       Estimation.Traces.TraceQsvtSolve,
       Estimation.Traces.TraceQsvtSolveAmplified,
       Estimation.Traces.TraceQsvtSolveFast,
       Estimation.Traces.TraceSelect;
export Oracles.AndChains.WithPattern;
@Config(Unrestricted)
export Oracles.Qroam.QroamXor,
       Oracles.Qroam.TraceQroamRead,
       Oracles.Qroam.DumpLookupUnitary;
export Oracles.Qroam.TraceQromRead;
export Oracles.TableLookup.XorLookup,
       Oracles.TableLookup.ApplyTableIndexOracle,
       Oracles.TableLookup.ApplyTableEntryOracle;
export Qsvt.Qsvt.ApplyProjectorPhase,
       Qsvt.Qsvt.ApplyRealQsvt;
export Solve.HistorySolve.HistorySolve,
       Solve.HistorySolve.HistorySolveStructured,
       Solve.HistorySolve.HistorySolveStructuredWithoutCalls;
@Config(Unrestricted)
export Solve.HistorySolve.HistorySolveKronecker,
       Solve.HistorySolve.HistorySolveKroneckerWithoutCalls;
export Solvers.Hhl.HhlSolveWith,
       Solvers.Hhl.HhlSolve,
       Solvers.Hhl.DumpWalkPhaseEstimation;
export Solvers.HistoryKernel.HistoryKernelSolveWith,
       Solvers.HistoryKernel.CarlemanKernelSolve,
       Solvers.HistoryKernel.TraceCarlemanKernelSolve;
@Config(Unrestricted)
export Solvers.HistoryKernel.CarlemanKernelSolveKronecker,
       Solvers.HistoryKernel.TraceCarlemanKernelSolveKronecker,
       Solvers.HistoryKernel.TraceCarlemanKernelSolveKroneckerWithoutCalls;
export Solvers.KernelReflection.KernelOperatorBlockEncoding,
       Solvers.KernelReflection.KernelReflectionSolveWith,
       Solvers.KernelReflection.KernelReflectionSolve,
       Solvers.KernelReflection.TraceKernelReflectionSolve,
       Solvers.KernelReflection.DumpKernelOperatorColumns,
       Solvers.KernelReflection.TraceControlledBlockEncoding,
       Solvers.KernelReflection.TraceControlledPreparation,
       Solvers.KernelReflection.TraceKernelOperator;
