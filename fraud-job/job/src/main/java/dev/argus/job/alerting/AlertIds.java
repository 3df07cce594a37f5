package dev.argus.job.alerting;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.UUID;

/**
 * Deterministic alert ids: a name-based (type 3) UUID of the rule id, rule version, account id and
 * the matched transaction ids in order. A replay of the same events yields the same id, which is
 * what lets a consumer deduplicate.
 *
 * <p>The id is {@link UUID#nameUUIDFromBytes}'s, computed with an MD5 digest kept per thread, where
 * {@code nameUUIDFromBytes} looks the algorithm up among the security providers for every alert.
 * {@code AlertIdsTest} pins ids of earlier releases and compares with {@code nameUUIDFromBytes}.
 */
public final class AlertIds {
    private static final ThreadLocal<MessageDigest> MD5 =
            ThreadLocal.withInitial(
                    () -> {
                        try {
                            return MessageDigest.getInstance("MD5");
                        } catch (NoSuchAlgorithmException e) {
                            // every Java platform must have MD5 (MessageDigest's javadoc)
                            throw new IllegalStateException("this JVM has no MD5 digest", e);
                        }
                    });

    private AlertIds() {}

    public static String of(
            String ruleId, int ruleVersion, String accountId, List<String> transactionIds) {
        StringBuilder name =
                new StringBuilder("argus-alert\u0000")
                        .append(ruleId)
                        .append('\u0000')
                        .append(ruleVersion)
                        .append('\u0000')
                        .append(accountId);
        for (String id : transactionIds) {
            name.append('\u0000').append(id);
        }
        return nameUuid(name.toString().getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** {@link UUID#nameUUIDFromBytes}: MD5, then the version (3) and the IETF variant bits. */
    static UUID nameUuid(byte[] name) {
        byte[] md5 = MD5.get().digest(name); // digest() also resets it for the next id
        md5[6] &= 0x0f;
        md5[6] |= 0x30;
        md5[8] &= 0x3f;
        md5[8] |= (byte) 0x80;
        ByteBuffer bytes = ByteBuffer.wrap(md5);
        return new UUID(bytes.getLong(), bytes.getLong());
    }
}
