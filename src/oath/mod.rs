//! The YKOATH protocol.
