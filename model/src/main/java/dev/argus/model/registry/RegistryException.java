package dev.argus.model.registry;

/**
 * The registry answered with an error. {@link #errorCode()} is the Confluent error code from the
 * body (for example 40401 subject not found, 40403 schema not found, 409 incompatible schema, 42201
 * invalid schema), or the HTTP status when the body had none.
 */
public class RegistryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int httpStatus;
    private final int errorCode;

    public RegistryException(int httpStatus, int errorCode, String message) {
        super(message);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public int errorCode() {
        return errorCode;
    }

    /** True when the registry said that the subject, version or schema does not exist. */
    public boolean isNotFound() {
        return httpStatus == 404;
    }

    /** True when the registry refused a schema as incompatible with the subject's history. */
    public boolean isIncompatible() {
        return httpStatus == 409;
    }
}
