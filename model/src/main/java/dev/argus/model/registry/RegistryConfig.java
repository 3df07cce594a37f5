package dev.argus.model.registry;

import java.io.Serializable;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How to reach a schema registry that speaks the Confluent REST API: its base URL, optional
 * basic-auth credentials and optional TLS trust and key stores.
 *
 * <p>Serializable so that Flink functions can carry it to the task managers and open their own
 * client there.
 */
public final class RegistryConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String url;
    private final String basicAuthUser;
    private final String basicAuthPassword;
    private final String truststorePath;
    private final String truststorePassword;
    private final String keystorePath;
    private final String keystorePassword;
    private final Duration requestTimeout;
    private final Duration missingIdCacheTtl;

    private RegistryConfig(Builder b) {
        this.url = stripTrailingSlash(Objects.requireNonNull(b.url, "registry url"));
        this.basicAuthUser = b.basicAuthUser;
        this.basicAuthPassword = b.basicAuthPassword;
        this.truststorePath = b.truststorePath;
        this.truststorePassword = b.truststorePassword;
        this.keystorePath = b.keystorePath;
        this.keystorePassword = b.keystorePassword;
        this.requestTimeout = b.requestTimeout;
        this.missingIdCacheTtl = b.missingIdCacheTtl;
    }

    /**
     * How long a schema id the registry did not know is remembered as unknown, in seconds: the key
     * of Confluent's Java client, with the registry prefix.
     */
    public static final String MISSING_ID_CACHE_TTL = "schema.registry.missing.id.cache.ttl.sec";

    private static final Duration DEFAULT_MISSING_ID_CACHE_TTL = Duration.ofSeconds(60);

    public static RegistryConfig of(String url) {
        return builder(url).build();
    }

    public static Builder builder(String url) {
        return new Builder(url);
    }

    /**
     * Reads the keys Confluent clients use, so an existing client configuration can be reused:
     * {@code schema.registry.url}, {@code basic.auth.user.info} (user:password), {@code
     * schema.registry.ssl.truststore.location} and {@code .password}, {@code
     * schema.registry.ssl.keystore.location} and {@code .password}, {@code
     * schema.registry.request.timeout.ms} and {@code schema.registry.missing.id.cache.ttl.sec}.
     */
    public static RegistryConfig fromProperties(Map<String, String> props) {
        String url = props.get("schema.registry.url");
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException(
                    "schema.registry.url is not set: give the base URL of a registry that speaks"
                            + " the Confluent REST API, for example http://localhost:8081");
        }
        Builder b = builder(url);
        String userInfo = props.get("basic.auth.user.info");
        if (userInfo != null && !userInfo.isBlank()) {
            int colon = userInfo.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException(
                        "basic.auth.user.info must be USER:PASSWORD, got no colon");
            }
            b.basicAuth(userInfo.substring(0, colon), userInfo.substring(colon + 1));
        }
        b.truststore(
                props.get("schema.registry.ssl.truststore.location"),
                props.get("schema.registry.ssl.truststore.password"));
        b.keystore(
                props.get("schema.registry.ssl.keystore.location"),
                props.get("schema.registry.ssl.keystore.password"));
        String timeout = props.get("schema.registry.request.timeout.ms");
        if (timeout != null) {
            b.requestTimeout(Duration.ofMillis(Long.parseLong(timeout.trim())));
        }
        String missingTtl = props.get(MISSING_ID_CACHE_TTL);
        if (missingTtl != null) {
            long seconds;
            try {
                seconds = Long.parseLong(missingTtl.trim());
            } catch (NumberFormatException e) {
                seconds = -1;
            }
            if (seconds < 0) {
                throw new IllegalArgumentException(
                        MISSING_ID_CACHE_TTL
                                + " must be a whole number of seconds, 0 or more, not '"
                                + missingTtl
                                + "'");
            }
            b.missingIdCacheTtl(Duration.ofSeconds(seconds));
        }
        return b.build();
    }

    public String url() {
        return url;
    }

    public String basicAuthUser() {
        return basicAuthUser;
    }

    public String basicAuthPassword() {
        return basicAuthPassword;
    }

    public String truststorePath() {
        return truststorePath;
    }

    public String truststorePassword() {
        return truststorePassword;
    }

    public String keystorePath() {
        return keystorePath;
    }

    public String keystorePassword() {
        return keystorePassword;
    }

    public Duration requestTimeout() {
        return requestTimeout;
    }

    /**
     * How long a deserializer remembers that the registry has no schema with an id, so that a
     * stream of records with unknown ids costs one registry request per id and period, not one per
     * record; zero asks the registry every time.
     */
    public Duration missingIdCacheTtl() {
        // null in a configuration serialized before the setting existed
        return missingIdCacheTtl != null ? missingIdCacheTtl : DEFAULT_MISSING_ID_CACHE_TTL;
    }

    @Override
    public String toString() {
        // never print the password
        return "RegistryConfig{url="
                + url
                + (basicAuthUser != null ? ", user=" + basicAuthUser : "")
                + (truststorePath != null ? ", truststore=" + truststorePath : "")
                + (keystorePath != null ? ", keystore=" + keystorePath : "")
                + "}";
    }

    private static String stripTrailingSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    /** Builds a {@link RegistryConfig}. */
    public static final class Builder {
        private final String url;
        private String basicAuthUser;
        private String basicAuthPassword;
        private String truststorePath;
        private String truststorePassword;
        private String keystorePath;
        private String keystorePassword;
        private Duration requestTimeout = Duration.ofSeconds(10);
        private Duration missingIdCacheTtl = DEFAULT_MISSING_ID_CACHE_TTL;

        private Builder(String url) {
            this.url = url;
        }

        public Builder basicAuth(String user, String password) {
            this.basicAuthUser = user;
            this.basicAuthPassword = password;
            return this;
        }

        public Builder truststore(String path, String password) {
            this.truststorePath = blankToNull(path);
            this.truststorePassword = password;
            return this;
        }

        public Builder keystore(String path, String password) {
            this.keystorePath = blankToNull(path);
            this.keystorePassword = password;
            return this;
        }

        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = timeout;
            return this;
        }

        public Builder missingIdCacheTtl(Duration ttl) {
            this.missingIdCacheTtl = ttl;
            return this;
        }

        public RegistryConfig build() {
            return new RegistryConfig(this);
        }

        private static String blankToNull(String s) {
            return s == null || s.isBlank() ? null : s;
        }
    }
}
