package dev.argus.sandbox;

import dev.argus.model.Transaction;

/**
 * One record for the transactions topic, keyed by {@code accountId}: a transaction, or raw bytes
 * that are deliberately broken ({@code transaction} null).
 */
public record Generated(String accountId, Transaction transaction, byte[] rawValue) {}
