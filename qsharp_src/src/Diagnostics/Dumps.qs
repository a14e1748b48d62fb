// Unitary dumps for checks from Python: the Choi-state method of qdk's `dump_operation`, run in the
// caller's context and without its 6-digit rounding, plus a cheaper variant restricted to inputs with
// the first `numAnc` qubits in |0> (enough to read a block-encoding's top-left block).
// They use DumpMachine, not DumpRegister: the latter's separability check fails on states whose released
// scratch qubits keep ~1e-12 residues. Run them in a fresh simulator so that the qubits they allocate are the
// only ones, in allocation order (the Python side checks the qubit count).
import Std.Diagnostics.DumpMachine;

/// # Summary
/// Dumps Σ_j |j>|j> after `op` on the first copy, divided by √(2^n): amplitude of index i·2^n + j is U[i][j]/√(2^n).
internal operation DumpChoiState(op : Qubit[] => Unit, n : Int) : Unit {
    use (targets, extra) = (Qubit[n], Qubit[n]);
    for i in 0..n - 1 {
        H(targets[i]);
        CNOT(targets[i], extra[i]);
    }
    op(targets);
    DumpMachine();
    ResetAll(targets + extra);
}

/// # Summary
/// Like DumpChoiState, but only the last `numSys` of the `numAnc + numSys` qubits are entangled with a copy:
/// the amplitude of index r·2^numSys + j is U[r][j]/√(2^numSys) (columns with the ancillas in |0>).
operation DumpBlockColumns(op : Qubit[] => Unit, numAnc : Int, numSys : Int) : Unit {
    use (anc, sys, extra) = (Qubit[numAnc], Qubit[numSys], Qubit[numSys]);
    for i in 0..numSys - 1 {
        H(sys[i]);
        CNOT(sys[i], extra[i]);
    }
    op(anc + sys);
    DumpMachine();
    ResetAll(anc + sys + extra);
}
