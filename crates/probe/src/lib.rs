//! Sans-IO probes.
