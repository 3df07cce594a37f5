package dev.argus.model.serde;

import dev.argus.model.DeadLetterReason;

/**
 * A record's bytes are not a valid event: the reason says why, in the terms of the dead-letter
 * contract. Thrown only for a definitive problem with the record itself; a registry that cannot be
 * reached is a transient failure and surfaces as an {@link java.io.UncheckedIOException}.
 */
public final class WireFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    private final DeadLetterReason reason;

    public WireFormatException(DeadLetterReason reason, String detail) {
        super(detail);
        this.reason = reason;
    }

    public WireFormatException(DeadLetterReason reason, String detail, Throwable cause) {
        super(detail, cause);
        this.reason = reason;
    }

    public DeadLetterReason reason() {
        return reason;
    }
}
