//! One handler per command. Each takes its dependencies (output, transport, clients) as
//! arguments so it runs in tests without a card or a network.

pub mod completions;
