//! Transports: how APDUs reach a card.
