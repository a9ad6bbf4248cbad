// Wires the default implementations of the engine's interfaces (filled in as the
// layers land).
